"""A contract fake of Jira's REST API on pytest-httpserver, shaped after PEERS.md 4.2.

Two flavours. "cloud" serves `/rest/api/3` (ADF rich text) and `/rest/api/2` (strings),
searches through `/search/jql` with `nextPageToken` paging (no total), has removed the
old `/search` (410), takes Basic `e-mail:token` and knows users by accountId.
"datacenter" serves only `/rest/api/2`, searches through `/search` with
`startAt`/`maxResults`/`total`, takes `Bearer <PAT>` and knows users by name. Both answer
errors as an ErrorCollection `{"errorMessages": [...], "errors": {field: message}}`.

Issues move through one workflow (To Do/new -> In Progress/indeterminate ->
Resolved/done -> Closed/done) by transitions with ids, which only a transition with a
screen may carry fields or a comment on. Search is **eventually consistent**: an issue is
invisible to it until `search_lag` has passed on the fake's clock (`now`, moved by
`advance`), unless its id is in `reconcileIssues`. Pages are small (`page_size`) so
paging is exercised. Tests make it misbehave with `fail` (the next N calls of an
endpoint get 429, 5xx, 409, a redirect, or a body that is not JSON) and read every
request in `requests`.

Guesses of ours, where PEERS.md is silent: the exact wording of field errors, a
required priority, and JQL reduced to the clauses the client sends (project, labels,
key in, updated >=; anything else is a 400).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EMAIL = "noc-bot@example.com"
TOKEN = "jiraCANARY0token0000000000000000000000cafe"
T0 = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
PROJECTS = {"OPS": "Operations", "NET": "Network"}
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
RESOLUTIONS = ("Done", "Fixed", "Won't Do", "Duplicate", "Cannot Reproduce")
CATEGORIES = {
    "new": {"id": 2, "key": "new", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "name": "Done"},
}
STATUSES = {
    "To Do": ("1", "new"),
    "In Progress": ("3", "indeterminate"),
    "Resolved": ("5", "done"),
    "Closed": ("6", "done"),
    "Cancelled": ("7", "done"),
}
NOT_SEEN = "Issue does not exist or you do not have permission to see it."


@dataclass(frozen=True)
class Transition:
    """A workflow transition: taken from any of `sources` to `to`; only one with a screen
    takes `fields` (the resolution) or a comment."""

    id: str
    name: str
    to: str
    sources: tuple[str, ...]
    screen: bool = True
    fields: tuple[str, ...] = ("resolution",)


WORKFLOW = (
    Transition("11", "Start Progress", "In Progress", ("To Do",), screen=False, fields=()),
    Transition("21", "Stop Progress", "To Do", ("In Progress",), screen=False, fields=()),
    Transition("31", "Resolve Issue", "Resolved", ("To Do", "In Progress")),
    Transition("41", "Close Issue", "Closed", ("To Do", "In Progress")),
    Transition("61", "Close Issue", "Closed", ("Resolved",), screen=False, fields=()),
    Transition("51", "Reopen Issue", "To Do", ("Resolved", "Closed"), screen=False, fields=()),
)


@dataclass
class User:
    account_id: str
    name: str
    display_name: str
    email: str


USERS = (
    User("5b10ac8d82e05b22cc7d4ef5", "alee", "Ann Lee", "ann.lee@example.com"),
    User("5b10ac8d82e05b22cc7d4ef6", "aleeds", "Ann Leeds", "ann.leeds@example.com"),
    User("5b10ac8d82e05b22cc7d4ef7", "bob", "Bob Ray", "bob@example.com"),
)


@dataclass
class Issue:
    """One issue as the fake keeps it; `fields` in the shape the create/edit bodies use."""

    id: str
    key: str
    project: str
    fields: dict[str, Any]
    status: str
    created: datetime
    updated: datetime
    resolution: str | None = None
    comments: list[Any] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recorded:
    """One request as the fake saw it (json is the decoded body, or None)."""

    endpoint: str
    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass(frozen=True)
class Call:
    """What an endpoint handler gets: the API version, the request, the path's parts, the body."""

    version: int
    request: Request
    match: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


_ROUTES = [
    (method, re.compile(pattern), endpoint)
    for method, pattern, endpoint in (
        ("GET", r"/myself", "myself"),
        ("GET", r"/project/(?P<ref>[^/]+)", "project"),
        ("POST", r"/issue", "create"),
        ("GET", r"/issue/(?P<ref>[^/]+)", "get"),
        ("PUT", r"/issue/(?P<ref>[^/]+)", "edit"),
        ("POST", r"/issue/(?P<ref>[^/]+)/comment", "comment"),
        ("GET", r"/issue/(?P<ref>[^/]+)/properties/(?P<prop>[^/]+)", "property"),
        ("PUT", r"/issue/(?P<ref>[^/]+)/properties/(?P<prop>[^/]+)", "property"),
        ("GET", r"/issue/(?P<ref>[^/]+)/transitions", "transitions"),
        ("POST", r"/issue/(?P<ref>[^/]+)/transitions", "transition"),
        ("GET", r"/search/jql", "search"),
        ("POST", r"/search/jql", "search"),
        ("GET", r"/search", "search_v2"),
        ("POST", r"/search", "search_v2"),
        ("GET", r"/user/search", "user_search"),
    )
]
_API = re.compile(r"^/rest/api/(?P<version>[23])(?P<rest>/.*)$")
_CLAUSE_PROJECT = re.compile(r'project\s*=\s*"?(?P<v>[\w-]+)"?$', re.IGNORECASE)
_CLAUSE_LABEL = re.compile(r'labels\s*=\s*"(?P<v>(?:[^"\\]|\\.)*)"$', re.IGNORECASE)
_CLAUSE_KEYS = re.compile(r"(?:key|issuekey|id)\s+in\s*\((?P<v>[^)]*)\)$", re.IGNORECASE)
_CLAUSE_UPDATED = re.compile(r'updated\s*>=\s*"(?P<v>\d{4}/\d\d/\d\d \d\d:\d\d)"$', re.IGNORECASE)


class _Refused(Exception):
    """An ErrorCollection answer: raised by the endpoint handlers."""

    def __init__(self, status: int, messages: list[str], errors: dict[str, str] | None = None):
        super().__init__(status, messages, errors)
        self.status, self.messages, self.errors = status, messages, errors or {}


@dataclass
class JiraFake:
    """An in-memory Jira over one `httpserver`; tests edit the fields to script it.

    Attributes:
        flavour: "cloud" (v3 and v2, /search/jql, Basic) or "datacenter" (v2, /search, Bearer).
        issues: by id; `transitions` the workflow; `statuses` name -> (id, category key).
        now: the fake's clock (issues' created/updated); `advance` moves it.
        search_lag: how long a new issue stays invisible to search.
        page_size: the largest search page served, whatever maxResults asks.
        user_offset: the Jira user's time zone, which JQL dates are read in.
        requests: every request, in order; `calls(endpoint)` filters them.
        after_create: called once a create is stored, before it is answered.
    """

    server: HTTPServer
    flavour: str = "cloud"
    email: str = EMAIL
    token: str = TOKEN
    projects: dict[str, str] = field(default_factory=lambda: dict(PROJECTS))
    issue_types: tuple[str, ...] = ("Incident", "Task")
    priorities: tuple[str, ...] = PRIORITIES
    users: tuple[User, ...] = USERS
    statuses: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(STATUSES))
    transitions: tuple[Transition, ...] = WORKFLOW
    now: datetime = T0
    search_lag: timedelta = timedelta(0)
    page_size: int = 3
    user_offset: timedelta = timedelta(0)
    issues: dict[str, Issue] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    after_create: Callable[[], None] | None = None
    last_id: int = 10000
    numbered: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(r"^/.*$")).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def calls(self, endpoint: str) -> list[Recorded]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def issue(self, ref: str) -> Issue:
        found = self._find(ref)
        assert found is not None, f"no issue {ref}"
        return found

    def add_issue(
        self, summary: str = "seeded", *, project: str = "OPS", status: str = "To Do", **fields: Any
    ) -> Issue:
        """An issue put straight into the store (no request), visible to search at once."""
        issue = Issue(
            id=self._next_id(),
            key=self._next_key(project),
            project=project,
            fields={"summary": summary, "labels": [], "priority": {"name": "Medium"}, **fields},
            status=status,
            created=self.now - self.search_lag,
            updated=self.now,
            resolution="Done" if STATUSES.get(status, ("", ""))[1] == "done" else None,
        )
        self.issues[issue.id] = issue
        return issue

    def delete(self, ref: str) -> None:
        """Delete an issue: its key is gone for good (404), the numbering goes on."""
        del self.issues[self.issue(ref).id]

    def _next_id(self) -> str:
        self.last_id += 1
        return str(self.last_id)

    def _next_key(self, project: str) -> str:
        """Jira numbers each project's issues 1, 2, 3...; a deleted number is not reused."""
        number = self.numbered.get(project, 0) + 1
        self.numbered[project] = number
        return f"{project}-{number}"

    def fail(
        self,
        endpoint: str,
        status: int = 500,
        *,
        times: int = 1,
        body: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` calls of `endpoint` with this status (and a fitting body)."""
        if body is None:
            body, content_type = _failure_body(status, content_type)
        queued = self.failures.setdefault(endpoint, [])
        queued.extend(
            Failure(status, body, content_type, dict(headers or {})) for _ in range(times)
        )

    def malformed(self, endpoint: str, *, times: int = 1) -> None:
        """Answer 200 with a truncated JSON body."""
        self.fail(
            endpoint,
            200,
            times=times,
            body=b'{"issues": [{"id": "100',
            content_type="application/json",
        )

    # ------------------------------------------------------------------ dispatch

    def _handle(self, request: Request) -> Response:
        api = _API.match(request.path)
        route = None
        if api:
            rest = api["rest"].rstrip("/")
            route = next(
                (
                    (endpoint, m)
                    for method, pattern, endpoint in _ROUTES
                    if method == request.method and (m := pattern.fullmatch(rest))
                ),
                None,
            )
        endpoint = route[0] if route else "unknown"
        try:
            document = json.loads(request.get_data()) if request.get_data() else None
        except ValueError:
            document = ...
        self.requests.append(
            Recorded(
                endpoint,
                request.method,
                request.path,
                {key: request.args[key] for key in request.args},
                dict(request.headers),
                None if document is ... else document,
            )
        )
        if not self._authenticated(request.headers.get("Authorization", "")):
            return _collection(
                401,
                ["Client must be authenticated to access this resource."],
                headers={"WWW-Authenticate": 'Basic realm="protected-area"'},
            )
        version = int(api["version"]) if api else 0
        if route is None or not self._serves(version, endpoint):
            if endpoint == "search_v2" and self.flavour == "cloud":
                return _collection(
                    410,
                    [
                        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."
                    ],
                )
            return _collection(404, [f"No such endpoint: {request.method} {request.path}"])
        if self.failures.get(endpoint):
            failure = self.failures[endpoint].pop(0)
            return Response(
                failure.body, failure.status, failure.headers, content_type=failure.content_type
            )
        if document is ...:
            return _collection(400, ["Unexpected character in the JSON body."])
        try:
            call = Call(version, request, route[1].groupdict(), document)
            status, answer = getattr(self, f"_{endpoint}")(call)
        except _Refused as refused:
            return _collection(refused.status, refused.messages, refused.errors)
        if answer is None:
            return Response(status=status)
        return Response(json.dumps(answer), status, content_type="application/json")

    def _authenticated(self, header: str) -> bool:
        scheme, _, credential = header.partition(" ")
        if self.flavour == "datacenter":
            return scheme == "Bearer" and credential == self.token
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return scheme == "Basic" and credential == expected

    def _serves(self, version: int, endpoint: str) -> bool:
        if self.flavour == "datacenter":
            return version == 2 and endpoint != "search"
        return endpoint != "search_v2"

    # ------------------------------------------------------------------ endpoints

    def _myself(self, call: Call) -> tuple[int, Any]:
        if self.flavour == "cloud":
            return 200, {
                "accountId": "557058:noc-bot",
                "accountType": "atlassian",
                "emailAddress": self.email,
                "displayName": "NOC bot",
                "active": True,
            }
        return 200, {
            "name": "noc-bot",
            "key": "JIRAUSER10100",
            "emailAddress": self.email,
            "displayName": "NOC bot",
            "active": True,
        }

    def _project(self, call: Call) -> tuple[int, Any]:
        key = call.match["ref"]
        if key not in self.projects:
            raise _Refused(404, [f"No project could be found with key '{key}'."])
        return 200, {
            "id": "10000",
            "key": key,
            "name": self.projects[key],
            "projectTypeKey": "service_desk",
        }

    def _create(self, call: Call) -> tuple[int, Any]:
        fields = call.body.get("fields") if isinstance(call.body, dict) else None
        if not isinstance(fields, dict):
            raise _Refused(400, ["Issue fields are required."])
        errors: dict[str, str] = {}
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            errors["project"] = "valid project is required"
        if (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "valid issue type is required"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255 or "\n" in summary:
            errors["summary"] = "Summary must be less than 255 characters and one line."
        errors |= self._field_errors(call.version, fields)
        if "priority" not in fields:
            errors["priority"] = "Priority is required."
        if errors:
            raise _Refused(400, [], errors)
        issue = Issue(
            id=self._next_id(),
            key=self._next_key(str(project)),
            project=str(project),
            fields=fields,
            status="To Do",
            created=self.now,
            updated=self.now,
        )
        self.issues[issue.id] = issue
        if self.after_create is not None:  # e.g. kill -9 the client before it reads the answer
            self.after_create()
        return 201, {"id": issue.id, "key": issue.key, "self": self._self(call.version, issue)}

    def _field_errors(self, version: int, fields: dict[str, Any]) -> dict[str, str]:
        """What Jira says of the settable fields of a create or an edit."""
        errors: dict[str, str] = {}
        for name, value in fields.items():
            if name in ("project", "issuetype", "summary"):
                continue
            if name == "priority":
                if not isinstance(value, dict) or value.get("name") not in self.priorities:
                    errors[name] = f"Priority name '{(value or {}).get('name')}' is not valid"
            elif name == "labels":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    errors[name] = "Labels must be a list of strings."
                elif bad := [v for v in value if not v or re.search(r"\s", v)]:
                    errors[name] = f"The label '{bad[0]}' contains spaces which is invalid."
            elif name == "description":
                if problem := _rich_problem(version, value):
                    errors[name] = problem
            elif name == "assignee":
                if value is not None and self._user(version, value) is None:
                    errors[name] = (
                        "Specified user does not exist or you do not have required permissions"
                    )
            else:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )
        return errors

    def _get(self, call: Call) -> tuple[int, Any]:
        issue = self._require(call.match["ref"])
        wanted = call.request.args.get("fields")
        properties = call.request.args.get("properties", "")
        return 200, self._render(
            call.version, issue, wanted.split(",") if wanted else None, properties.split(",")
        )

    def _edit(self, call: Call) -> tuple[int, Any]:
        issue = self._require(call.match["ref"])
        fields = (call.body or {}).get("fields") or {}
        errors = self._field_errors(
            call.version, {k: v for k, v in fields.items() if k != "summary"}
        )
        comments = self._comment_ops(call.version, (call.body or {}).get("update") or {}, errors)
        if errors:
            raise _Refused(400, [], errors)
        issue.fields.update(fields)
        issue.comments.extend(comments)
        issue.updated = self.now
        return 204, None

    def _comment_ops(
        self, version: int, update: dict[str, Any], errors: dict[str, str]
    ) -> list[Any]:
        added = []
        for name, operations in update.items():
            if name != "comment":
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )
                continue
            for operation in operations:
                text = (operation.get("add") or {}).get("body")
                if problem := _rich_problem(version, text):
                    errors["comment"] = problem
                added.append(text)
        return added

    def _comment(self, call: Call) -> tuple[int, Any]:
        issue = self._require(call.match["ref"])
        text = (call.body or {}).get("body")
        problem = "Comment body can not be empty!" if text is None else None
        if problem := problem or _rich_problem(call.version, text):
            raise _Refused(400, [], {"comment": problem})
        issue.comments.append(text)
        issue.updated = self.now
        return 201, {
            "id": str(20000 + len(issue.comments)),
            "body": text,
            "created": _stamp(self.now),
        }

    def _property(self, call: Call) -> tuple[int, Any]:
        issue = self._require(call.match["ref"])
        name = call.match["prop"]
        if call.request.method == "GET":
            if name not in issue.properties:
                raise _Refused(404, [f"The property with key '{name}' does not exist."])
            return 200, {"key": name, "value": issue.properties[name]}
        existed = name in issue.properties
        issue.properties[name] = call.body
        return (200 if existed else 201), None

    def _transitions(self, call: Call) -> tuple[int, Any]:
        issue = self._require(call.match["ref"])
        expand = "transitions.fields" in call.request.args.get("expand", "")
        return 200, {
            "expand": "transitions",
            "transitions": [
                self._transition_json(t, expand)
                for t in self.transitions
                if issue.status in t.sources
            ],
        }

    def _transition_json(self, transition: Transition, expand: bool) -> dict[str, Any]:
        status_id, category = self.statuses[transition.to]
        rendered: dict[str, Any] = {
            "id": transition.id,
            "name": transition.name,
            "hasScreen": transition.screen,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
            "to": {"id": status_id, "name": transition.to, "statusCategory": CATEGORIES[category]},
        }
        if expand:
            rendered["fields"] = {
                name: {
                    "required": True,
                    "name": name.title(),
                    "key": name,
                    "operations": ["set"],
                    "allowedValues": [
                        {"id": str(i), "name": r} for i, r in enumerate(RESOLUTIONS, 1)
                    ],
                }
                for name in transition.fields
            }
        return rendered

    def _transition(self, call: Call) -> tuple[int, Any]:
        issue = self._require(call.match["ref"])
        wanted = ((call.body or {}).get("transition") or {}).get("id")
        transition = next(
            (t for t in self.transitions if t.id == wanted and issue.status in t.sources), None
        )
        if transition is None:
            raise _Refused(
                400,
                [
                    (
                        f"It seems that you have tried to perform a workflow operation ({wanted}) "
                        f"that is not valid for the current state of this issue ({issue.key})."
                    ),
                ],
            )
        errors: dict[str, str] = {}
        fields = (call.body or {}).get("fields") or {}
        for name in fields:
            if name not in transition.fields:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )
        resolution = (fields.get("resolution") or {}).get("name")
        if "resolution" in transition.fields and resolution not in RESOLUTIONS:
            errors["resolution"] = (
                "Resolution is required."
                if resolution is None
                else f"Resolution '{resolution}' is not valid."
            )
        update = (call.body or {}).get("update") or {}
        if update and not transition.screen:
            errors.update(
                {
                    name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                    for name in update
                }
            )
        comments = self._comment_ops(call.version, update, errors)
        if errors:
            raise _Refused(400, [], errors)
        issue.status = transition.to
        category = self.statuses[transition.to][1]
        issue.resolution = (resolution or issue.resolution) if category == "done" else None
        issue.comments.extend(comments)
        issue.updated = self.now
        return 204, None

    def _user_search(self, call: Call) -> tuple[int, Any]:
        query = call.request.args.get("query", "").casefold()
        return 200, [
            {
                "accountId": u.account_id,
                "accountType": "atlassian",
                "emailAddress": u.email,
                "displayName": u.display_name,
                "active": True,
            }
            for u in self.users
            if query and (query in u.email.casefold() or query in u.display_name.casefold())
        ]

    def _search(self, call: Call) -> tuple[int, Any]:
        """`/search/jql`: nextPageToken paging, no total; fields default to the id alone."""
        query = _query(call.request, call.body)
        reconcile = {str(i) for i in query.get("reconcileIssues") or ()}
        found = self._jql(query.get("jql", ""), reconcile, strict=False)
        start = _token_start(query.get("nextPageToken"))
        size = min(int(query.get("maxResults") or 50), self.page_size)
        fields, properties = query.get("fields") or ["id"], query.get("properties") or []
        page = [
            self._render(call.version, i, fields, properties) for i in found[start : start + size]
        ]
        answer: dict[str, Any] = {"issues": page, "isLast": start + size >= len(found)}
        if not answer["isLast"]:
            answer["nextPageToken"] = base64.b64encode(f"noc:{start + size}".encode()).decode()
        return 200, answer

    def _search_v2(self, call: Call) -> tuple[int, Any]:
        """Data Center's `/search`: startAt, maxResults and total; a missing key is a 400
        unless validateQuery is warn or none."""
        query = _query(call.request, call.body)
        strict = query.get("validateQuery", "strict") == "strict"
        found = self._jql(query.get("jql", ""), set(), strict=strict)
        start = int(query.get("startAt") or 0)
        size = min(int(query.get("maxResults") or 50), self.page_size)
        fields, properties = query.get("fields") or ["*navigable"], query.get("properties") or []
        page = [
            self._render(call.version, i, fields, properties) for i in found[start : start + size]
        ]
        return 200, {"startAt": start, "maxResults": size, "total": len(found), "issues": page}

    # ------------------------------------------------------------------ JQL and rendering

    def _jql(self, jql: str, reconcile: set[str], *, strict: bool) -> list[Issue]:
        parts = re.split(r"\s+order\s+by\s+", jql, maxsplit=1, flags=re.IGNORECASE)
        where, order = parts[0], parts[1] if len(parts) > 1 else ""
        clauses = [
            c.strip() for c in re.split(r"\s+AND\s+", where, flags=re.IGNORECASE) if c.strip()
        ]
        if not clauses:
            raise _Refused(
                400,
                [
                    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
                ],
            )
        issues = [
            i
            for i in self.issues.values()
            if self.now >= i.created + self.search_lag or i.id in reconcile
        ]
        for clause in clauses:
            if m := _CLAUSE_PROJECT.match(clause):
                issues = [i for i in issues if i.project == m["v"]]
            elif m := _CLAUSE_LABEL.match(clause):
                label = re.sub(r"\\(.)", r"\1", m["v"])
                issues = [i for i in issues if label in (i.fields.get("labels") or [])]
            elif m := _CLAUSE_KEYS.match(clause):
                refs = {r.strip().upper() for r in m["v"].split(",") if r.strip()}
                known = {i.key for i in self.issues.values()} | {i.id for i in self.issues.values()}
                if strict and (missing := sorted(refs - known)):
                    raise _Refused(
                        400, [f"An issue with key '{missing[0]}' does not exist for field 'key'."]
                    )
                issues = [i for i in issues if i.key in refs or i.id in refs]
            elif m := _CLAUSE_UPDATED.match(clause):
                local = datetime.strptime(m["v"], "%Y/%m/%d %H:%M")  # noqa: DTZ007 - the user's zone
                after = local.replace(tzinfo=UTC) - self.user_offset
                issues = [i for i in issues if i.updated >= after]
            else:
                raise _Refused(
                    400, [f"Error in the JQL Query: the fake does not understand '{clause}'."]
                )
        if "created" in order.lower():
            issues.sort(key=lambda i: (i.created, int(i.id)), reverse="desc" in order.lower())
        elif "key" in order.lower():
            issues.sort(
                key=lambda i: (i.project, int(i.key.rpartition("-")[2])),
                reverse="desc" in order.lower(),
            )
        else:
            issues.sort(key=lambda i: int(i.id))
        return issues

    def _render(
        self, version: int, issue: Issue, wanted: list[str] | None, properties: list[str]
    ) -> dict[str, Any]:
        status_id, category = self.statuses[issue.status]
        assignee = (
            self._user(version, issue.fields.get("assignee"))
            if issue.fields.get("assignee")
            else None
        )
        every = {
            **{
                k: v
                for k, v in issue.fields.items()
                if k not in ("assignee", "project", "issuetype")
            },
            "project": {"key": issue.project, "name": self.projects.get(issue.project, "?")},
            "issuetype": issue.fields.get("issuetype", {"name": "Incident"}),
            "status": {
                "id": status_id,
                "name": issue.status,
                "statusCategory": CATEGORIES[category],
            },
            "assignee": _user_json(version, assignee) if assignee else None,
            "resolution": {"name": issue.resolution} if issue.resolution else None,
            "created": _stamp(issue.created),
            "updated": _stamp(issue.updated),
        }
        if wanted is None or "*all" in wanted or "*navigable" in wanted:
            chosen = every
        else:
            chosen = {name: every.get(name) for name in wanted if name != "id"}
        rendered: dict[str, Any] = {
            "id": issue.id,
            "key": issue.key,
            "self": self._self(version, issue),
        }
        if chosen or wanted != ["id"]:
            rendered["fields"] = chosen
        wanted_properties = {p for p in properties if p in issue.properties}
        if wanted_properties:
            rendered["properties"] = {p: issue.properties[p] for p in wanted_properties}
        return rendered

    def _user(self, version: int, reference: Any) -> User | None:
        if not isinstance(reference, dict):
            return None
        if version == 3 or self.flavour == "cloud":
            return next((u for u in self.users if u.account_id == reference.get("accountId")), None)
        return next((u for u in self.users if u.name == reference.get("name")), None)

    def _find(self, ref: str) -> Issue | None:
        return self.issues.get(ref) or next(
            (i for i in self.issues.values() if i.key == ref.upper()), None
        )

    def _require(self, ref: str) -> Issue:
        issue = self._find(ref)
        if issue is None:
            raise _Refused(404, [NOT_SEEN])
        return issue

    def _self(self, version: int, issue: Issue) -> str:
        return f"{self.url}/rest/api/{version}/issue/{issue.id}"


def _rich_problem(version: int, value: Any) -> str | None:
    """Why a rich-text value is not what this API version takes (ADF in v3, a string in v2)."""
    if version == 2:
        return None if isinstance(value, str) else "Operation value must be a string"
    if not isinstance(value, dict) or value.get("type") != "doc" or value.get("version") != 1:
        return "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    pending = list(value.get("content") or [])
    while pending:
        node = pending.pop()
        if not isinstance(node, dict) or "type" not in node:
            return "Invalid ADF: a node without a type"
        if node["type"] == "text" and not node.get("text"):
            return "Invalid ADF: empty text node"
        pending.extend(node.get("content") or [])
    return None


def _user_json(version: int, user: User) -> dict[str, Any]:
    if version == 3:
        return {"accountId": user.account_id, "displayName": user.display_name, "active": True}
    return {
        "name": user.name,
        "key": user.name,
        "displayName": user.display_name,
        "emailAddress": user.email,
        "active": True,
    }


def _failure_body(status: int, content_type: str) -> tuple[bytes, str]:
    """What a failing Jira typically sends: no promised body for 429, a page for 503."""
    if status == 429:
        return b"Rate limit exceeded", "text/plain"
    if status == 503:
        return (
            b"<html><head><title>Service Unavailable</title></head><body>down</body></html>",
            "text/html",
        )
    messages = {
        403: "You do not have permission to create issues in this project.",
        404: NOT_SEEN,
        409: "The issue was updated by someone else (conflicting update).",
        500: "Internal server error",
    }
    if status in messages:
        return json.dumps(
            {"errorMessages": [messages[status]], "errors": {}}
        ).encode(), content_type
    return b"", content_type


def _collection(
    status: int,
    messages: list[str],
    errors: dict[str, str] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"errorMessages": messages, "errors": errors or {}, "status": status}
    return Response(json.dumps(body), status, headers or {}, content_type="application/json")


def _query(request: Request, body: Any) -> dict[str, Any]:
    """A search's parameters from a POST body or a GET query (comma lists split)."""
    if request.method == "POST":
        return dict(body or {})
    query: dict[str, Any] = {key: request.args[key] for key in request.args}
    for name in ("fields", "properties"):
        if name in query:
            query[name] = [part for part in query[name].split(",") if part]
    return query


def _token_start(token: str | None) -> int:
    if not token:
        return 0
    try:
        prefix, _, start = base64.b64decode(token).decode().partition(":")
        if prefix == "noc":
            return int(start)
    except ValueError:
        pass
    raise _Refused(400, ["The nextPageToken is invalid."])


def _stamp(when: datetime) -> str:
    """Jira's timestamp shape: 2026-11-29T14:02:00.000+0000."""
    return (
        when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"
    )
