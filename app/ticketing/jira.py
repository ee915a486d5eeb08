"""Jira as a ticketing system: Cloud REST v3 (ADF, `/search/jql`) and Data Center REST v2.

PEERS.md 4.2 is the contract. Cloud authenticates with Basic `e-mail:API token`, Data
Center with `Authorization: Bearer <personal access token>` (no user given). The token
lives only in the session's header: it is never logged and never part of an error.
Every call has a timeout and a total deadline, TLS is verified, and redirects are never
followed: a 3xx is an error naming where it pointed, since following it would carry the
credential to wherever it leads (RELIABILITY.md 23).

Nothing is retried here. A create is not idempotent on Jira's side, so retries belong to
the outbox, which keeps the idempotency key: the label and the `noc-console` issue
property set on create. JQL search is eventually consistent (an issue created a moment
ago may be missing from it), so a label search returning nothing does NOT prove the
issue absent (RELIABILITY.md 9 and 10). What does: before each create the outbox stores
`mark()`, the project's newest issue key; after a crash, `find(after=mark)` reads the
issues created since one by one (`GET /issue/OPS-42` reads the database, not the
index) until the keys run out. A search that lags only makes the mark older and the
walk longer.

The HTTP plumbing is `app.ticketing.rest`'s; the ADF and wiki rendering `jira_text`'s.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import orjson

from app.domain.severity import Severity
from app.domain.timestamps import ensure_utc, parse_iso
from app.http_errors import header
from app.ticketing.base import (
    ErrorKind,
    RemoteTicket,
    Resolution,
    TicketChange,
    TicketDraft,
    TicketingClient,
    TicketingError,
    TicketState,
)
from app.ticketing.jira_text import adf, draft_blocks, text_blocks, wiki
from app.ticketing.rest import HEADER_SAFE, RestTransport, basic_pair

log = logging.getLogger(__name__)

DEFAULT_PRIORITIES: Mapping[Severity, str] = {
    Severity.P1: "Highest",
    Severity.P2: "High",
    Severity.P3: "Medium",
    Severity.P4: "Low",
}
CONSOLE_LABEL = "noc-console"
PROPERTY_KEY = "noc-console"  # the issue property holding the idempotency key and link
ISSUE_FIELDS = ("summary", "status", "priority", "assignee", "labels", "updated")
SEARCH_CHUNK = 50  # ids per `key in (...)` query
PAGE_SIZE = 50
MAX_PAGES = 500
MAX_SUMMARY = 255
MAX_LABEL = 255
# a walk from a mark ends after this many missing keys in a row (a deleted issue leaves
# a gap in the numbering); more than MARK_WALK issues since the mark: a person decides
MARK_MISSES = 3
MARK_WALK = 200
# JQL dates are read in the Jira user's time zone, which we do not know: ask from 12 h
# earlier (the westmost offset, UTC-12) and keep only what changed since, by `updated`
JQL_MARGIN = timedelta(hours=12)

# what Jira's statuses mean beyond the common ones (app.ticketing.rest.STATUS_KINDS)
_JIRA_STATUS_KINDS = {
    410: ErrorKind.NOT_FOUND,
    413: ErrorKind.RATE_LIMITED,  # Jira's per-issue write limit
}
_ISSUE_REF = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[1-9][0-9]*|[1-9][0-9]*")
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
_KEY = re.compile(r"(?P<project>[A-Z][A-Z0-9_]*)-(?P<number>0|[1-9][0-9]*)")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class JiraClient:
    """One Jira site and project, as a `TicketingClient`; kind "jira".

    Thread: one worker (the outbox's) at a time; a requests session is not shared.

    Attributes:
        name: the configured ticketing system's name.
        kind: always "jira".
        base_url: the site (`https://acme.atlassian.net`, or a Data Center URL with its
            context path); issues open at `<base_url>/browse/<KEY>`.
        project: the default project key (a draft's `project` wins).
        api_version: 3 (Cloud, ADF, `/search/jql`) or 2 (Data Center, wiki, `/search`).
        issue_type: the issue type created (`Incident`).
        priorities: Jira priority name per severity.
    """

    kind = "jira"
    search_lags = True

    def __init__(
        self,
        name: str,
        url: str,
        *,
        project: str,
        user: str | None,
        token: str,
        api_version: Literal[3, 2] = 3,
        priorities: Mapping[Severity, str] | None = None,
        issue_type: str = "Incident",
        timeout: float = 10.0,
        verify: bool | str = True,
        proxy: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if api_version not in (2, 3):
            raise ValueError(f"Jira API version {api_version!r}: expected 3 (Cloud) or 2")
        self.name = name
        self.base_url = url.rstrip("/")
        self.project = project
        self.api_version = api_version
        self.issue_type = issue_type
        self.priorities = {**DEFAULT_PRIORITIES, **(priorities or {})}
        token = token.strip()
        self._http = RestTransport(
            f"Jira {name!r}",
            f"{self.base_url}/rest/api/{api_version}",
            authorization=_authorization(name, user, token),
            hidden=(token,) if user is None else (token, basic_pair(user, token)),
            timeout=timeout,
            verify=verify,  # True, or the entry's ca_bundle; never the environment's
            proxy=proxy,  # the entry's proxy; never HTTPS_PROXY (app.ticketing.rest says why)
            clock=clock,
            server_words=_server_words,
            reset_after=_reset_after,
            status_kinds=_JIRA_STATUS_KINDS,
        )

    def disconnect(self) -> None:
        """Release the HTTP session (`close` is the ticket operation)."""
        self._http.close()

    # ------------------------------------------------------------------ the protocol

    def check(self) -> str:
        """`ok: Jira Cloud (v3) as noc@example.com, project OPS (Operations)`."""
        me = _object(self._call("GET", "myself"), "myself")
        who = me.get("emailAddress") or me.get("name") or me.get("displayName") or "?"
        project = _object(self._call("GET", f"project/{_path(self.project)}"), "project")
        flavour = "Jira Cloud (v3)" if self.api_version == 3 else "Jira Data Center (v2)"
        return (
            f"ok: {flavour} as {who}, project {project.get('key', self.project)} "
            f"({project.get('name', '?')})"
        )

    def create(self, draft: TicketDraft) -> RemoteTicket:
        """Create the issue, labelled with the key, then record the key as an issue property."""
        priority = self.priorities[draft.severity]
        fields: dict[str, Any] = {
            "project": {"key": draft.project or self.project},
            "issuetype": {"name": self.issue_type},
            "summary": _summary(draft.summary),
            "priority": {"name": priority},
            "labels": _labels((CONSOLE_LABEL, draft.key, *draft.labels)),
        }
        blocks = draft_blocks(draft)
        if blocks:
            fields["description"] = adf(blocks) if self.api_version == 3 else wiki(blocks)
        created = _object(self._call("POST", "issue", json={"fields": fields}), "created issue")
        issue_id, key = created.get("id"), created.get("key")
        if not isinstance(issue_id, str) or not isinstance(key, str):
            raise TicketingError(ErrorKind.PAYLOAD, f"created issue without id or key: {created}")
        try:
            self._call(
                "PUT",
                f"issue/{_path(issue_id)}/properties/{PROPERTY_KEY}",
                json={"idempotency_key": draft.key, "incident_link": draft.link},
            )
        except TicketingError as error:  # the label alone still finds it
            log.warning(
                "Jira %s: %s created, its %s property not set: %s",
                self.name,
                key,
                PROPERTY_KEY,
                error,
            )
        return RemoteTicket(
            key=key,
            id=issue_id,
            url=self._browse(key),
            state=TicketState.NEW,
            priority=priority,
            idempotency_key=draft.key,
        )

    def mark(self, project: str | None = None) -> str:
        """The project's newest issue key (`OPS-0` when it has none), before a create.

        From the search, so it may lag: an older mark only makes `find` read more keys.
        """
        project = project or self.project
        jql = f"project = {_jql_project(project)} order by key DESC"
        for issue in self._search(jql, limit=1):
            key = issue.get("key")
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                raise TicketingError(ErrorKind.PAYLOAD, f"search gave an issue key {key!r}")
            return key
        return f"{project}-0"

    def find(
        self,
        idempotency_key: str,
        known_id: str | None = None,
        project: str | None = None,
        after: str | None = None,
    ) -> RemoteTicket | None:
        """The issue created with this key: by `known_id` if one was stored; else, given
        the mark `after`, by reading each issue created since; else by label in `project`
        (the draft's routed project; by default the configured one).

        With a mark, None proves there is none. The label search alone is eventually
        consistent: an issue created seconds ago may not be in it yet, so its None does
        NOT; the caller (the outbox) then waits before creating again.
        """
        if known_id:
            try:
                ticket = self.get(known_id)
            except TicketingError as error:
                if error.kind is ErrorKind.NOT_FOUND:
                    return None
                raise
            return replace(ticket, idempotency_key=ticket.idempotency_key or idempotency_key)
        label = _labels((idempotency_key,))[0]
        if after is not None:
            return self._walk(label, idempotency_key, after)
        jql = (
            f"project = {_jql_project(project or self.project)} AND labels = {_jql_string(label)} "
            "order by created DESC"
        )
        for issue in self._search(jql, limit=1):
            ticket = self._ticket(issue)
            return replace(ticket, idempotency_key=ticket.idempotency_key or idempotency_key)
        return None

    def _walk(self, label: str, idempotency_key: str, after: str) -> RemoteTicket | None:
        """The issue labelled `label` among those numbered after the key `after`, read one
        by one until MARK_MISSES keys in a row do not exist."""
        match = _KEY.fullmatch(after)
        if match is None:
            raise TicketingError(ErrorKind.PAYLOAD, f"stored mark {after!r} is not an issue key")
        project, first = match["project"], int(match["number"]) + 1
        params = {"fields": ",".join(ISSUE_FIELDS), "properties": PROPERTY_KEY}
        misses = 0
        for number in range(first, first + MARK_WALK):
            try:
                issue = _object(
                    self._call("GET", f"issue/{project}-{number}", params=params), "issue"
                )
            except TicketingError as error:
                if error.kind is not ErrorKind.NOT_FOUND:
                    raise
                misses += 1
                if misses >= MARK_MISSES:
                    return None
                continue
            misses = 0
            fields = issue.get("fields")
            labels = fields.get("labels") if isinstance(fields, dict) else None
            if isinstance(labels, list) and label in labels:
                ticket = self._ticket(issue)
                return replace(ticket, idempotency_key=ticket.idempotency_key or idempotency_key)
        raise TicketingError(
            ErrorKind.UNCERTAIN,
            f"more than {MARK_WALK} issues in {project} since {after}: cannot tell whether "
            f"the create labelled {label} arrived; search {project} for that label, then "
            "retry (creates again) or drop the write",
        )

    def get(self, ticket_id: str) -> RemoteTicket:
        params = {"fields": ",".join(ISSUE_FIELDS), "properties": PROPERTY_KEY}
        return self._ticket(self._call("GET", f"issue/{_path(ticket_id)}", params=params))

    def comment(self, ticket_id: str, text: str) -> None:
        self._call("POST", f"issue/{_path(ticket_id)}/comment", json={"body": self._rich(text)})

    def update(self, ticket_id: str, change: TicketChange) -> None:
        """Send only what the change sets, so a remote edit of another field survives."""
        fields: dict[str, Any] = {}
        if change.severity is not None:
            fields["priority"] = {"name": self.priorities[change.severity]}
        if change.assignee is not None:
            fields["assignee"] = self._assignee(change.assignee)
        fields.update(change.fields)
        body: dict[str, Any] = {"fields": fields} if fields else {}
        if change.comment:
            body["update"] = {"comment": [{"add": {"body": self._rich(change.comment)}}]}
        if body:
            self._call("PUT", f"issue/{_path(ticket_id)}", json=body)

    def resolve(self, ticket_id: str, resolution: Resolution) -> None:
        """Move to a done status (a "Resolve" transition first); already done: nothing to do."""
        self._finish(ticket_id, resolution, "resolve")

    def close(self, ticket_id: str, resolution: Resolution) -> None:
        """Move to Closed (through a done status if the workflow needs two steps)."""
        self._finish(ticket_id, resolution, "close")

    def updated_since(self, ticket_ids: Sequence[str], since: datetime) -> list[RemoteTicket]:
        """The issues among these updated at or after `since`, 50 keys per query, every page."""
        since = ensure_utc(since).replace(microsecond=0)
        refs = list(dict.fromkeys(_issue_ref(ref) for ref in ticket_ids))
        after = (since - JQL_MARGIN).strftime("%Y/%m/%d %H:%M")
        found: list[RemoteTicket] = []
        for start in range(0, len(refs), SEARCH_CHUNK):
            keys = ", ".join(refs[start : start + SEARCH_CHUNK])
            jql = f'key in ({keys}) AND updated >= "{after}" order by key'
            found.extend(self._ticket(issue) for issue in self._search(jql))
        return [t for t in found if t.updated_at is None or t.updated_at >= since]

    # ------------------------------------------------------------------ helpers

    def _browse(self, key: str) -> str:
        return f"{self.base_url}/browse/{quote(key, safe='')}"

    def _rich(self, text: str) -> Any:
        """A comment body: ADF in v3, the plain string (wiki markup) in v2."""
        return adf(text_blocks(text)) if self.api_version == 3 else text

    def _assignee(self, assignee: str) -> dict[str, Any] | None:
        if not assignee:
            return None  # unassign
        if self.api_version == 2:
            return {"name": assignee}
        # Cloud identifies users by accountId only; look the person up by e-mail or name
        users = self._call("GET", "user/search", params={"query": assignee, "maxResults": 50})
        wanted = assignee.casefold()
        for user in users if isinstance(users, list) else ():
            if not isinstance(user, dict) or not isinstance(user.get("accountId"), str):
                continue
            names = (user.get("emailAddress"), user.get("displayName"), user.get("accountId"))
            if any(isinstance(n, str) and n.casefold() == wanted for n in names):
                return {"accountId": user["accountId"]}
        raise TicketingError(
            ErrorKind.BAD_REQUEST,
            f"no Jira user is exactly {assignee!r} (by e-mail address or display name)",
        )

    def _finish(
        self, ticket_id: str, resolution: Resolution, goal: Literal["resolve", "close"]
    ) -> None:
        issue = _object(
            self._call("GET", f"issue/{_path(ticket_id)}", params={"fields": "status"}), "issue"
        )
        status, category = _status(issue)
        if (goal == "resolve" and category == "done") or status.casefold() == "closed":
            return
        transition = self._pick(ticket_id, goal, status)
        if transition is None:
            if category == "done":
                return  # done, and the workflow goes no further
            raise TicketingError(ErrorKind.CONFLICT, f"no transition to done from {status}")
        reached = self._transition(ticket_id, transition, resolution)
        if goal == "close" and reached.casefold() != "closed":
            # a two-step workflow (Resolved, then Closed): take its close step if it has one
            then = self._pick(ticket_id, goal, reached, preferred_only=True)
            if then is not None:
                self._transition(ticket_id, then, Resolution(resolution.code, ""))

    def _pick(
        self, ticket_id: str, goal: str, status: str, *, preferred_only: bool = False
    ) -> dict[str, Any] | None:
        """The transition to take: one into a done status, named for the goal if possible."""
        answer = _object(
            self._call(
                "GET",
                f"issue/{_path(ticket_id)}/transitions",
                params={"expand": "transitions.fields"},
            ),
            "transitions",
        )
        transitions = answer.get("transitions")
        if not isinstance(transitions, list):
            raise TicketingError(ErrorKind.PAYLOAD, "transitions answer without a transitions list")
        done = []
        for transition in transitions:
            target = transition.get("to") if isinstance(transition, dict) else None
            if not isinstance(target, dict) or "id" not in transition:
                raise TicketingError(
                    ErrorKind.PAYLOAD, f"transition without id or target: {transition}"
                )
            category = target.get("statusCategory")
            if (
                isinstance(category, dict)
                and category.get("key") == "done"
                and transition.get("isAvailable", True) is not False
                and target.get("name") != status
            ):
                done.append(transition)
        named = [
            t
            for t in done
            if goal in str(t.get("name", "")).casefold()
            or goal in str(t["to"].get("name", "")).casefold()
        ]
        choices = named if preferred_only else named or done
        return choices[0] if choices else None

    def _transition(
        self, ticket_id: str, transition: dict[str, Any], resolution: Resolution
    ) -> str:
        """Take it, with the resolution when its screen has one; the status name reached."""
        body: dict[str, Any] = {"transition": {"id": str(transition["id"])}}
        screen = transition.get("fields")
        code, notes = resolution.code, resolution.notes
        if code and isinstance(screen, dict) and "resolution" in screen:
            body["fields"] = {"resolution": {"name": code}}
        if notes and transition.get("hasScreen"):
            body["update"] = {"comment": [{"add": {"body": self._rich(notes)}}]}
        elif notes and not resolution.notes_posted:
            # Jira refuses update.comment on a transition without a screen: comment first,
            # so the notes land even if the transition then fails (RELIABILITY.md 13), and
            # say so, so that a retry of the transition does not post them again
            self.comment(ticket_id, notes)
            if resolution.on_notes_posted is not None:
                resolution.on_notes_posted()
        self._call("POST", f"issue/{_path(ticket_id)}/transitions", json=body)
        return str(transition["to"].get("name", ""))

    def _search(self, jql: str, *, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every issue the JQL finds (up to `limit`), page after page."""
        size = min(PAGE_SIZE, limit or PAGE_SIZE)
        token: str | None = None
        seen_tokens: set[str] = set()
        start = 0
        served = 0
        for _page in range(MAX_PAGES):
            if self.api_version == 3:
                query: dict[str, Any] = {
                    "jql": jql,
                    "fields": list(ISSUE_FIELDS),
                    "properties": [PROPERTY_KEY],
                    "maxResults": size,
                }
                if token:
                    query["nextPageToken"] = token
                answer = _object(self._call("POST", "search/jql", json=query), "search")
            else:
                params = {
                    "jql": jql,
                    "fields": ",".join(ISSUE_FIELDS),
                    "properties": PROPERTY_KEY,
                    "startAt": start,
                    "maxResults": size,
                    "validateQuery": "warn",  # a deleted key is a warning, not a 400
                }
                answer = _object(self._call("GET", "search", params=params), "search")
            issues = answer.get("issues")
            if not isinstance(issues, list) or not all(isinstance(i, dict) for i in issues):
                raise TicketingError(ErrorKind.PAYLOAD, "search answer without an issues list")
            for issue in issues:
                yield issue
                served += 1
                if limit is not None and served >= limit:
                    return
            if self.api_version == 3:
                token = answer.get("nextPageToken")
                if answer.get("isLast") is True or not isinstance(token, str) or not token:
                    return
                if token in seen_tokens:
                    raise TicketingError(ErrorKind.PAYLOAD, "search paging repeats a nextPageToken")
                seen_tokens.add(token)
            else:
                start += len(issues)
                total = answer.get("total")
                if not issues or not isinstance(total, int) or start >= total:
                    return
        raise TicketingError(ErrorKind.PAYLOAD, f"search still paging after {MAX_PAGES} pages")

    def _ticket(self, issue: object) -> RemoteTicket:
        """An issue as Jira returns it (get or search), read into a RemoteTicket."""
        issue = _object(issue, "issue")
        key, issue_id, fields = issue.get("key"), issue.get("id"), issue.get("fields")
        if (
            not isinstance(key, str)
            or not isinstance(issue_id, str)
            or not isinstance(fields, dict)
        ):
            raise TicketingError(
                ErrorKind.PAYLOAD, f"issue without key, id or fields: {str(issue)[:200]}"
            )
        status, category = _status(issue)
        if status.casefold() == "closed":
            state = TicketState.CLOSED
        elif "cancel" in status.casefold():
            state = TicketState.CANCELED
        else:
            state = {"new": TicketState.NEW, "done": TicketState.RESOLVED}.get(
                category, TicketState.IN_PROGRESS
            )
        assignee = fields.get("assignee")
        who = None
        if isinstance(assignee, dict):
            who = assignee.get("name" if self.api_version == 2 else "displayName")
            who = who or assignee.get("displayName")
        priority = fields.get("priority")
        updated = fields.get("updated")
        try:
            updated_at = parse_iso(updated) if isinstance(updated, str) else None
        except ValueError:
            raise TicketingError(
                ErrorKind.PAYLOAD, f"{key}: updated {updated!r} is not a time"
            ) from None
        properties = issue.get("properties")
        stored = properties.get(PROPERTY_KEY) if isinstance(properties, dict) else None
        idempotency_key = stored.get("idempotency_key") if isinstance(stored, dict) else None
        return RemoteTicket(
            key=key,
            id=issue_id,
            url=self._browse(key),
            state=state,
            status=status,
            assignee=who if isinstance(who, str) else None,
            priority=priority.get("name") if isinstance(priority, dict) else None,
            updated_at=updated_at,
            idempotency_key=idempotency_key if isinstance(idempotency_key, str) else None,
        )

    # ------------------------------------------------------------------ transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One request; the decoded JSON answer (None for an empty one), or TicketingError."""
        return self._http.call(method, path, params=params, body=json).document


if TYPE_CHECKING:  # mypy holds the client to the protocol, signature by signature
    _CONFORMS: type[TicketingClient] = JiraClient


def _authorization(name: str, user: str | None, token: str) -> str:
    """The Authorization header; a token no header can carry is refused without quoting it."""
    token = token.strip()
    if not token or not HEADER_SAFE.fullmatch(token):
        raise TicketingError(
            ErrorKind.AUTH,
            f"the Jira token stored for {name!r} is empty or holds spaces or control "
            "characters; store it again",
        )
    return f"Bearer {token}" if user is None else f"Basic {basic_pair(user, token)}"


def _server_words(body: bytes) -> str | None:
    """Jira's ErrorCollection as one line: errorMessages, then errors as `field: message`."""
    try:
        document = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    parts = [str(m) for m in document.get("errorMessages") or () if m]
    errors = document.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {message}" for field, message in errors.items()]
    if not parts and document.get("message"):  # an Atlassian gateway's {"message": ...}
        parts.append(str(document["message"]))
    return "; ".join(parts)[:2000] or None


def _reset_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """X-RateLimit-Reset: an ISO time (`yyyy-MM-ddTHH:mmZ`), never read as a UNIX time."""
    reset = header(headers, "X-RateLimit-Reset")
    if not reset:
        return None
    try:
        when = parse_iso(reset)
    except ValueError:
        return None
    return max(0.0, (when - now).total_seconds())


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TicketingError(
            ErrorKind.PAYLOAD, f"{what}: expected a JSON object, got {type(value).__name__}"
        )
    return value


def _status(issue: dict[str, Any]) -> tuple[str, str]:
    """The status name and its category key (new, indeterminate, done)."""
    fields = issue.get("fields")
    status = fields.get("status") if isinstance(fields, dict) else None
    category = status.get("statusCategory") if isinstance(status, dict) else None
    if (
        not isinstance(status, dict)
        or not isinstance(status.get("name"), str)
        or not isinstance(category, dict)
    ):
        raise TicketingError(ErrorKind.PAYLOAD, f"issue {issue.get('key', '?')} without a status")
    return status["name"], str(category.get("key", ""))


def _path(ref: str) -> str:
    """An id, key or project as one path segment (`../` cannot climb out of it)."""
    return quote(ref.strip(), safe="")


def _issue_ref(ref: str) -> str:
    """An issue key or numeric id fit for JQL; anything else could change the query."""
    if not _ISSUE_REF.fullmatch(ref.strip()):
        raise TicketingError(ErrorKind.BAD_REQUEST, f"{ref!r} is not a Jira issue key or id")
    return ref.strip().upper()


def _jql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _jql_project(key: str) -> str:
    return key if _PROJECT_KEY.fullmatch(key) else _jql_string(key)


def _summary(text: str) -> str:
    """One line of at most 255 characters (Jira refuses longer and multi-line summaries)."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_SUMMARY else line[: MAX_SUMMARY - 1] + "…"


def _labels(labels: Sequence[str]) -> list[str]:
    """Labels as Jira takes them: no spaces (runs of white space become `_`), no repeats."""
    cleaned = (re.sub(r"\s+", "_", label.strip())[:MAX_LABEL] for label in labels)
    return list(dict.fromkeys(label for label in cleaned if label))
