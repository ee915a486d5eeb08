"""A contract fake of ServiceNow's Table API (`incident`, `sys_user`, `sys_user_group`) on
pytest-httpserver, shaped after PEERS.md 4.3.

It does what the documentation says the real API does: every value is a string; POST
answers 201 with the record, generating `sys_id` and `number`; `priority` is computed from
impact x urgency; `sysparm_query` terms it knows (`field=`, `!=`, `>=`, `<=`, `>`, `<`,
`fieldIN a,b`, `ORDERBY`, `ORDERBYDESC`) filter and sort, and a term naming an unknown
field is silently ignored; `sysparm_limit`/`sysparm_offset` page with `X-Total-Count` and
an RFC 5988 `Link` header (left out when there is a single page); `sysparm_display_value`
false/true/all and `sysparm_exclude_reference_link` shape the fields;
`sysparm_input_display_value=true` lets a write name a group, a person or a choice by its
display value; `work_notes` and `comments` are journals (a write appends an entry); a data
policy refuses state 6 or 7 without `close_code` and `close_notes` (403); unknown records
get the documented 404 body. Not modelled: `^OR`, dot-walking, ACLs, business rules.

Tests script it: fail the next calls (`fail_next`, `rate_limit_next`, `answer_next`),
edit a record as someone on the instance would (`remote_edit`, `assign`), read the
journal (`work_notes`) and every request (`requests`).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

USER = "noc.bot"
USER_FULL_NAME = "NOC Bot"
PASSWORD = "sn0canary0password0000000000000a"  # a canary: tests look for it in every message
TOKEN = "sn0canary0bearer000000000000000000000000b"
TABLE_PREFIX = "/api/now/table/"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
START = datetime(2026, 11, 29, 14, 0, 0, tzinfo=UTC)

INCIDENT_FIELDS = frozenset(
    {
        "sys_id", "number", "state", "impact", "urgency", "priority", "short_description",
        "description", "correlation_id", "correlation_display", "assignment_group",
        "assigned_to", "close_code", "close_notes", "work_notes", "comments", "hold_reason",
        "opened_at", "resolved_at", "closed_at", "sys_created_on", "sys_updated_on", "active",
    }
)  # fmt: skip
USER_FIELDS = frozenset({"sys_id", "user_name", "name", "email", "active"})
GROUP_FIELDS = frozenset({"sys_id", "name", "active"})
JOURNALS = frozenset({"work_notes", "comments"})
READ_ONLY = frozenset({"sys_id", "number", "priority", "sys_created_on", "sys_updated_on"})
REFERENCES = {"assigned_to": "sys_user", "assignment_group": "sys_user_group"}
STATE_LABELS = {
    "1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled",
}  # fmt: skip
IMPACT_LABELS = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
PRIORITY_LABELS = {
    "1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low", "5": "5 - Planning",
}  # fmt: skip
CHOICES = {"state": STATE_LABELS, "impact": IMPACT_LABELS, "urgency": IMPACT_LABELS}
# the out-of-box priority lookup rules (impact, urgency) -> priority
PRIORITY = {
    ("1", "1"): "1", ("1", "2"): "2", ("2", "1"): "2", ("1", "3"): "3", ("2", "2"): "3",
    ("3", "1"): "3", ("2", "3"): "4", ("3", "2"): "4", ("3", "3"): "5",
}  # fmt: skip

NOT_FOUND: dict[str, Any] = {
    "error": {
        "message": "No Record found",
        "detail": "Record doesn't exist or ACL restricts the record retrieval",
    },
    "status": "failure",
}
UNAUTHENTICATED = {
    "error": {
        "message": "User Not Authenticated",
        "detail": "Required to provide Auth information",
    },
    "status": "failure",
}
DATA_POLICY = {
    "error": {
        "message": "Operation Failed",
        "detail": "Data Policy Exception: \nThe following fields are mandatory: "
        "Resolution code, Resolution notes",
    },
    "status": "failure",
}
_CONDITION = re.compile(r"([a-z0-9_]+?)(IN|!=|>=|<=|=|>|<)(.*)", re.DOTALL)


def failure(message: str, detail: str | None = None) -> dict[str, Any]:
    """The Table API's error document."""
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it: `args` the query string, `body` the decoded JSON."""

    method: str
    path: str
    args: dict[str, str]
    body: Any
    authorization: str | None


@dataclass(frozen=True)
class Scripted:
    """An answer given instead of the real one."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


@dataclass
class ServiceNowFake:
    """The Table API over one `httpserver`; tests edit the fields or call the helpers.

    Attributes:
        tables: records by table and sys_id (`incident`, `sys_user`, `sys_user_group`).
        journal: journal entries by incident sys_id: (field, time, text), oldest first.
        user, password, token: the Basic login and the OAuth bearer token accepted.
        now: the instance clock; each write moves it one second on.
        link_headers: send `Link` headers (False: only X-Total-Count, like a stripping proxy).
        requests: every request, in order; `answers` the status and headers of each answer.
    """

    server: HTTPServer
    user: str = USER
    password: str = PASSWORD
    token: str = TOKEN
    now: datetime = START
    link_headers: bool = True
    tables: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    journal: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    schema: dict[str, frozenset[str]] = field(default_factory=dict)
    _scripted: deque[Scripted] = field(default_factory=deque)
    _numbers: int = 10041

    def __post_init__(self) -> None:
        self.schema = {
            "incident": INCIDENT_FIELDS,
            "sys_user": USER_FIELDS,
            "sys_user_group": GROUP_FIELDS,
        }
        self.tables = {table: {} for table in self.schema}
        self.add_user(self.user, USER_FULL_NAME)
        self.add_user("jdoe", "Jane Doe")
        self.add_group("Network Operations")
        pattern = re.compile(r"^/api/now/table/.*$")
        self.server.expect_request(pattern).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        """The instance's base URL."""
        return self.server.url_for("/").rstrip("/")

    # ------------------------------------------------------------------ test helpers

    @property
    def incidents(self) -> dict[str, dict[str, str]]:
        return self.tables["incident"]

    @property
    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "PUT")]

    def add_user(self, user_name: str, name: str) -> str:
        return self._insert("sys_user", {"user_name": user_name, "name": name, "active": "true"})

    def add_group(self, name: str) -> str:
        return self._insert("sys_user_group", {"name": name, "active": "true"})

    def sys_id_of(self, table: str, name: str) -> str:
        """The sys_id of the user (by user_name or name) or group (by name)."""
        for sys_id, record in self.tables[table].items():
            if name in (record.get("user_name"), record.get("name")):
                return sys_id
        raise KeyError(name)

    def add_incident(self, **fields: str) -> str:
        """An incident created on the instance by someone else; its sys_id."""
        return self._insert("incident", self._new_incident(fields))

    def remote_edit(self, sys_id: str, **fields: str) -> None:
        """Someone edits the incident in the ServiceNow UI (no data policy, values as given)."""
        record = self.incidents[sys_id]
        for name, value in fields.items():
            if name in JOURNALS:
                self.journal.setdefault(sys_id, []).append((name, self._tick(), value))
            else:
                record[name] = value
        self._derive(record)
        record["sys_updated_on"] = self._tick()

    def assign(self, sys_id: str, user_name: str) -> None:
        self.remote_edit(sys_id, assigned_to=self.sys_id_of("sys_user", user_name))

    def work_notes(self, sys_id: str) -> list[str]:
        return [text for name, _, text in self.journal.get(sys_id, []) if name == "work_notes"]

    def answer_next(
        self,
        status: int,
        body: bytes | dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json;charset=UTF-8",
        count: int = 1,
    ) -> None:
        """Answer the next `count` requests with this instead of the real answer."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        for _ in range(count):
            self._scripted.append(Scripted(status, raw, dict(headers or {}), content_type))

    def fail_next(
        self,
        status: int,
        message: str = "Failure",
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        count: int = 1,
    ) -> None:
        """Fail the next `count` requests with `status` and the documented error body."""
        self.answer_next(status, failure(message, detail), headers=headers, count=count)

    def rate_limit_next(
        self, *, retry_after: int | None = 30, reset_at: int | None = None, count: int = 1
    ) -> None:
        """429 as an inbound rate limit rule sends it (Retry-After and/or X-RateLimit-*)."""
        headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Rule": "noc-integration"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if reset_at is not None:
            headers["X-RateLimit-Reset"] = str(reset_at)
        self.fail_next(
            429,
            "Too Many Requests",
            "Rate limit exceeded for rule noc-integration",
            headers=headers,
            count=count,
        )

    # ------------------------------------------------------------------ the API

    def _handle(self, request: Request) -> Response:
        response = self._answer(request)
        self.answers.append((response.status_code, dict(response.headers)))
        return response

    def _answer(self, request: Request) -> Response:
        args = {key: request.args[key] for key in request.args}
        body = request.get_json(silent=True) if request.get_data() else None
        authorization = request.headers.get("Authorization")
        self.requests.append(Recorded(request.method, request.path, args, body, authorization))
        if self._scripted:
            scripted = self._scripted.popleft()
            return Response(
                scripted.body,
                status=scripted.status,
                headers=scripted.headers,
                content_type=scripted.content_type,
            )
        if not self._authorized(authorization):
            return self._json(401, UNAUTHENTICATED)
        table, _, sys_id = request.path.removeprefix(TABLE_PREFIX).partition("/")
        if table not in self.tables or "/" in sys_id:
            return self._json(400, failure(f"Invalid table {table}"))
        if request.method == "GET":
            return self._get_one(table, sys_id, args) if sys_id else self._list(table, args)
        if request.method == "POST" and not sys_id:
            return self._write(table, None, body, args)
        if request.method in ("PATCH", "PUT") and sys_id:
            return self._write(table, sys_id, body, args)
        return self._json(405, failure("Method not Supported", request.method))

    def _authorized(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        if scheme == "Bearer":
            return value == self.token
        if scheme == "Basic":
            try:
                login = base64.b64decode(value, validate=True).decode()
            except ValueError:
                return False
            return login == f"{self.user}:{self.password}"
        return False

    def _get_one(self, table: str, sys_id: str, args: dict[str, str]) -> Response:
        record = self.tables[table].get(sys_id)
        if record is None:
            return self._json(404, NOT_FOUND)
        return self._json(200, {"result": self._shape(table, record, args)})

    def _list(self, table: str, args: dict[str, str]) -> Response:
        try:
            limit = int(args.get("sysparm_limit", "10000"))
            offset = int(args.get("sysparm_offset", "0"))
        except ValueError:
            return self._json(400, failure("Invalid limit or offset"))
        if limit < 1 or offset < 0:
            return self._json(400, failure("Invalid limit or offset", f"{limit}, {offset}"))
        rows = self._query(table, args.get("sysparm_query", ""))
        page = rows[offset : offset + limit]
        headers = {"X-Total-Count": str(len(rows))}
        if self.link_headers and len(rows) > limit:
            headers["Link"] = self._links(table, args, offset, limit, len(rows))
        document = {"result": [self._shape(table, record, args) for record in page]}
        return self._json(200, document, headers)

    def _links(self, table: str, args: dict[str, str], offset: int, limit: int, total: int) -> str:
        def link(at: int, rel: str) -> str:
            query = urlencode({**args, "sysparm_offset": str(at), "sysparm_limit": str(limit)})
            return f'<{self.url}{TABLE_PREFIX}{table}?{query}>;rel="{rel}"'

        links = [link(0, "first")]
        if offset > 0:
            links.append(link(max(0, offset - limit), "prev"))
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        links.append(link((total - 1) // limit * limit, "last"))
        return ",".join(links)

    def _query(self, table: str, query: str) -> list[dict[str, str]]:
        """Filter and sort by an encoded query; a term it cannot read is left out, as on
        a real instance without glide.invalid_query.returns_no_rows."""
        rows = list(self.tables[table].values())
        order: list[tuple[str, bool]] = []
        for term in query.split("^"):
            if term.startswith("ORDERBYDESC"):
                order.append((term.removeprefix("ORDERBYDESC"), True))
                continue
            if term.startswith("ORDERBY"):
                order.append((term.removeprefix("ORDERBY"), False))
                continue
            condition = _CONDITION.fullmatch(term)
            if condition is None or condition[1] not in self.schema[table]:
                continue
            name, operator, value = condition.groups()
            rows = [row for row in rows if _matches(row.get(name, ""), operator, value)]
        for name, descending in reversed(order):
            if name in self.schema[table]:
                rows.sort(key=lambda row: row.get(name, ""), reverse=descending)
        return rows

    def _write(self, table: str, sys_id: str | None, body: Any, args: dict[str, str]) -> Response:
        if not isinstance(body, dict):
            return self._json(400, failure("Exception while reading request", "not a JSON object"))
        if sys_id is not None and sys_id not in self.tables[table]:
            return self._json(404, NOT_FOUND)
        if sys_id is None and table != "incident":
            return self._json(405, failure("Method not Supported", f"POST to {table}"))
        by_display = args.get("sysparm_input_display_value", "false") == "true"
        created = sys_id is None
        record = dict(self.tables[table][sys_id]) if sys_id else self._new_incident({})
        entries: list[tuple[str, str]] = []
        for name, raw in body.items():
            if name not in self.schema[table] or name in READ_ONLY:
                continue  # unknown and read-only fields are ignored, not refused
            value = raw if isinstance(raw, str) else "" if raw is None else json.dumps(raw)
            if name in JOURNALS:
                entries += [(name, value)] if value.strip() else []
            else:
                record[name] = self._from_display(name, value) if by_display else value
        self._derive(record)
        if record.get("state") in ("6", "7") and not (
            record.get("close_code") and record.get("close_notes")
        ):
            return self._json(403, DATA_POLICY)
        stamp = self._tick()
        record["sys_updated_on"] = stamp
        if created:
            self._numbers += 1
            record["number"] = f"INC{self._numbers:07d}"
        self.tables[table][record["sys_id"]] = record
        for name, text in entries:
            self.journal.setdefault(record["sys_id"], []).append((name, stamp, text))
        return self._json(201 if created else 200, {"result": self._shape(table, record, args)})

    # ------------------------------------------------------------------ records

    def _new_incident(self, fields: dict[str, str]) -> dict[str, str]:
        stamp = self.now.strftime(TIME_FORMAT)
        record = dict.fromkeys(INCIDENT_FIELDS, "")
        record |= {
            "sys_id": uuid.uuid4().hex,
            "state": "1",
            "impact": "3",
            "urgency": "3",
            "active": "true",
            "opened_at": stamp,
            "sys_created_on": stamp,
            "sys_updated_on": stamp,
        }
        record |= fields
        self._derive(record)
        return record

    def _insert(self, table: str, fields: dict[str, str]) -> str:
        sys_id = fields.get("sys_id") or uuid.uuid4().hex
        record = dict.fromkeys(self.schema[table], "") | fields | {"sys_id": sys_id}
        if table == "incident" and not record["number"]:
            self._numbers += 1
            record["number"] = f"INC{self._numbers:07d}"
        self.tables[table][sys_id] = record
        return sys_id

    def _derive(self, record: dict[str, str]) -> None:
        """What the instance computes: priority from impact x urgency, active from state."""
        if "impact" in record:
            record["priority"] = PRIORITY.get((record["impact"], record["urgency"]), "5")
            record["active"] = "false" if record["state"] in ("7", "8") else "true"

    def _from_display(self, name: str, value: str) -> str:
        """An input display value as the instance resolves it: a reference by its display
        name (or a sys_id), a choice by its label (or its value)."""
        if name in REFERENCES:
            table = REFERENCES[name]
            if not value or value in self.tables[table]:
                return value
            named = [i for i, r in self.tables[table].items() if r.get("name") == value]
            return named[0] if named else ""
        labels = CHOICES.get(name)
        if labels:
            return next((code for code, label in labels.items() if label == value), value)
        return value

    def _display(self, name: str, value: str) -> str:
        if name in REFERENCES:
            return self.tables[REFERENCES[name]].get(value, {}).get("name", "")
        if name == "priority":
            return PRIORITY_LABELS.get(value, value)
        if name in JOURNALS:
            return ""  # unverified on a real instance (PEERS.md 4.3); nothing we rely on
        return CHOICES.get(name, {}).get(value, value)

    def _shape(self, table: str, record: dict[str, str], args: dict[str, str]) -> dict[str, Any]:
        """The record as these sysparm_fields / display_value / reference-link settings show it."""
        wanted = [f.strip() for f in args.get("sysparm_fields", "").split(",") if f.strip()]
        names = [n for n in wanted if n in record] if wanted else sorted(record)
        mode = args.get("sysparm_display_value", "false").lower()
        links = args.get("sysparm_exclude_reference_link", "false").lower() != "true"
        shaped: dict[str, Any] = {}
        for name in names:
            value = "" if name in JOURNALS else record[name]
            display = self._display(name, value) if table == "incident" else value
            link = None
            if links and name in REFERENCES and value:
                link = f"{self.url}{TABLE_PREFIX}{REFERENCES[name]}/{value}"
            if mode == "all":
                shaped[name] = {"display_value": display, "value": value}
            elif mode == "true":
                shaped[name] = {"display_value": display} if link else display
            else:
                shaped[name] = {"value": value} if link else value
            if link:
                shaped[name]["link"] = link
        return shaped

    def _tick(self) -> str:
        self.now += timedelta(seconds=1)
        return self.now.strftime(TIME_FORMAT)

    def _json(
        self, status: int, document: object, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            json.dumps(document),
            status=status,
            headers=headers or {},
            content_type="application/json;charset=UTF-8",
        )


def _matches(actual: str, operator: str, value: str) -> bool:
    """One encoded-query condition; values compare as strings, as stored."""
    if operator == "IN":
        return actual in value.split(",")
    if operator == "=":
        return actual == value
    if operator == "!=":
        return actual != value
    if operator == ">=":
        return actual >= value
    if operator == "<=":
        return actual <= value
    return actual > value if operator == ">" else actual < value
