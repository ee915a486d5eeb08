"""ServiceNow as a ticketing system: the Table API's `incident` table (PEERS.md 4.3).

One incident, one ticket: every incident we open carries our idempotency key in
`correlation_id`, and `create` looks it up before it POSTs, so a create replayed after a
crash finds the incident instead of opening a second one. Reads ask for
`sysparm_display_value=all`, so each field comes as {"value", "display_value"}: the state
is mapped from its code, the assignee and priority are reported as people read them.
Every value the Table API sends is a string and instances customise their choice lists,
so records are parsed defensively and an unknown state code is kept in `status`.

The HTTP plumbing (timeouts and deadline, no redirects, verified TLS, the secret in no
message) is `app.ticketing.rest`'s; the Table API's shapes and words are this module's.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from app.domain.severity import Severity
from app.domain.timestamps import ensure_utc
from app.http_errors import delay_seconds, header
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
from app.ticketing.rest import HEADER_SAFE, RestTransport, basic_pair

log = logging.getLogger(__name__)

TABLE_API = "/api/now/table"
INCIDENT_PATH = "incident"
USER_PATH = "sys_user"
CORRELATION_DISPLAY = "noc-console"
OPENED_NOTE = "Opened by NOC Console"
SHORT_DESCRIPTION_MAX = 160
PAGE_SIZE = 100
ID_CHUNK = 50  # 50 sys_ids keep a query URL near 2 KB
MAX_PAGES = 1000
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # the Table API's UTC date-times (display_value=false)
RESOLVED_CODE = "6"
CLOSED_CODE = "7"

DEFAULT_IMPACT_URGENCY: Mapping[Severity, tuple[str, str]] = {
    Severity.P1: ("1", "1"),
    Severity.P2: ("1", "2"),
    Severity.P3: ("2", "2"),
    Severity.P4: ("3", "3"),
}
STATES: Mapping[str, TicketState] = {
    "1": TicketState.NEW,
    "2": TicketState.IN_PROGRESS,
    "3": TicketState.ON_HOLD,
    "6": TicketState.RESOLVED,
    "7": TicketState.CLOSED,
    "8": TicketState.CANCELED,
}
_FIELDS = "sys_id,number,state,assigned_to,priority,sys_updated_on,correlation_id"
_READ = {
    "sysparm_display_value": "all",
    "sysparm_exclude_reference_link": "true",
    "sysparm_fields": _FIELDS,
}
_WRITE = {
    "sysparm_display_value": "false",
    "sysparm_exclude_reference_link": "true",
    "sysparm_fields": "sys_id",
}
_SYS_ID = re.compile(r"[0-9a-f]{32}")
_RECORD_ID = re.compile(r"[0-9A-Za-z]{1,64}")  # anything else could walk the URL path
_QUERY_UNSAFE = re.compile(r"[\^=\r\n]")  # would end or extend an encoded-query term
_LINK_REL = re.compile(r"<[^>]*>\s*;\s*rel=\"?([^\";,]+)")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class _Answer:
    result: Any
    headers: Mapping[str, str]


class ServiceNowClient:
    """One ServiceNow instance's incident table as a TicketingClient; kind "servicenow".

    Thread: one outbox worker owns a client (a requests session is not shared across
    threads). The secret lives only in the credential passed to requests.

    Attributes:
        name: the configured ticketing system's name.
        kind: always "servicenow".
        base_url: the instance, e.g. https://acme.service-now.com.
        host: the instance's host name, for messages.
        user: the Basic-auth user; None means the secret is an OAuth bearer token.
        assignment_group: the group (a sys_id or a name) when the draft names none.
        impact_urgency: ServiceNow impact and urgency codes per severity.
        timeout: seconds for a whole call, body included.
        page_size: `sysparm_limit` of a paged read.
    """

    kind = "servicenow"
    search_lags = False  # a Table API query reads the table itself

    def __init__(
        self,
        name: str,
        url: str,
        *,
        user: str | None,
        secret: str,
        assignment_group: str | None,
        impact_urgency: Mapping[Severity, tuple[str, str]] | None,
        timeout: float = 10.0,
        verify: bool | str = True,
        proxy: str | None = None,
        page_size: int = PAGE_SIZE,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"ServiceNow {name!r}: {url!r} is not an https:// URL")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise ValueError(f"ServiceNow {name!r}: credentials go only over https ({url!r})")
        if not 1 <= page_size <= 10_000:
            raise ValueError(f"ServiceNow {name!r}: page size {page_size} is not 1..10000")
        self.name = name
        self.base_url = url.strip().rstrip("/")
        self.host = parts.hostname
        self.user = user or None
        self.assignment_group = assignment_group or None
        self.impact_urgency = {**DEFAULT_IMPACT_URGENCY, **(impact_urgency or {})}
        self.timeout = timeout
        self.page_size = page_size
        authorization, problem = self._authorization(secret)
        self._http = RestTransport(
            f"ServiceNow {name!r}",
            self.base_url + TABLE_API,
            authorization=authorization,
            credential_problem=problem,
            # what must never be repeated: the secret and the Basic header that encodes it
            hidden=(secret,) if self.user is None else (secret, basic_pair(self.user, secret)),
            timeout=timeout,
            verify=verify,  # True, or the entry's ca_bundle; never the environment's
            proxy=proxy,  # the entry's proxy; never HTTPS_PROXY (app.ticketing.rest says why)
            clock=lambda: datetime.fromtimestamp(wall_clock(), UTC),
            server_words=_server_words,
            reset_after=_reset_after,
        )

    def __repr__(self) -> str:
        return f"ServiceNowClient({self.name!r}, {self.base_url!r}, user={self.user!r})"

    def disconnect(self) -> None:
        """Close the HTTP session (`close` is the protocol's: it closes an incident)."""
        self._http.close()

    def _authorization(self, secret: str) -> tuple[str | None, str | None]:
        """(the Authorization header, None), or (None, why the secret cannot be sent)."""
        where = f"ServiceNow {self.name!r}"
        if not secret:
            return None, f"no secret stored for {where}"
        if self.user is None:
            if not HEADER_SAFE.fullmatch(secret):
                return None, f"the OAuth token of {where} holds spaces or control characters"
            return f"Bearer {secret}", None
        if ":" in self.user or not HEADER_SAFE.fullmatch(self.user):
            return None, f"the user name of {where} cannot be sent in Basic auth"
        if any(ord(char) < 32 for char in secret):
            return None, f"the password of {where} holds control characters (a newline?)"
        return f"Basic {basic_pair(self.user, secret)}", None

    # ------------------------------------------------------------------ the protocol

    def check(self) -> str:
        """Read one incident id (and our own user's name); a line saying who and where."""
        found = self._call("GET", INCIDENT_PATH, {"sysparm_limit": "1", "sysparm_fields": "sys_id"})
        if not isinstance(found.result, list):
            raise self._error(ErrorKind.PAYLOAD, "the incident list is not a JSON array")
        who = "an OAuth token"
        if self.user is not None:
            who = self.user
            if not _QUERY_UNSAFE.search(self.user):
                full_name = self._user_name(self.user)
                who = f"{self.user} ({full_name})" if full_name not in ("", self.user) else who
        return f"ok: ServiceNow {self.host} as {who}, incident table readable"

    def _user_name(self, user: str) -> str:
        """The user's full name; "" when sys_user hides it (reading incidents is what counts)."""
        params = {
            "sysparm_query": f"user_name={user}",
            "sysparm_limit": "1",
            "sysparm_fields": "name",
        }
        try:
            found = self._call("GET", USER_PATH, params)
        except TicketingError as error:
            if error.kind in (ErrorKind.FORBIDDEN, ErrorKind.NOT_FOUND):
                return ""
            raise
        records = found.result if isinstance(found.result, list) else []
        return _field(records[0], "name")[1] if records and isinstance(records[0], dict) else ""

    def create(self, draft: TicketDraft) -> RemoteTicket:
        """The incident for this draft: the one already carrying its key, or a new one."""
        existing = self.find(draft.key)
        if existing is not None:
            log.info("ServiceNow %s: %s already has %s", self.name, draft.key, existing.key)
            return existing
        impact, urgency = self.impact_urgency[draft.severity]
        body = {
            "short_description": _one_line(draft.summary, SHORT_DESCRIPTION_MAX),
            "description": _description(draft),
            # priority is computed from impact x urgency by the instance's lookup rules
            "impact": impact,
            "urgency": urgency,
            "correlation_id": draft.key,
            "correlation_display": CORRELATION_DISPLAY,
            "work_notes": OPENED_NOTE,
        }
        # display values on the answer too, so create reports an assignee as get does
        params = dict(_READ)
        group = draft.assignment_group or self.assignment_group
        if group:
            body["assignment_group"] = group
            if not _SYS_ID.fullmatch(group):
                params["sysparm_input_display_value"] = "true"  # a group *name*
        created = self._call("POST", INCIDENT_PATH, params, body)
        ticket = self._ticket(created.result)
        log.info("ServiceNow %s: opened %s for %s", self.name, ticket.key, draft.key)
        return ticket

    def mark(self, project: str | None = None) -> str | None:
        """No bookmark: a correlation_id query is exact."""
        return None

    def find(
        self,
        idempotency_key: str,
        known_id: str | None = None,
        project: str | None = None,
        after: str | None = None,
    ) -> RemoteTicket | None:
        """The incident with this correlation_id (or this sys_id); None when there is none.
        `project` and `after` are Jira's: one incident table holds every customer's
        incidents, and reads it without lag."""
        if not idempotency_key or _QUERY_UNSAFE.search(idempotency_key):
            raise self._error(
                ErrorKind.BAD_REQUEST,
                f"idempotency key {idempotency_key!r} cannot go into an encoded query "
                "(empty, or holds ^, = or a line break)",
            )
        if known_id:
            try:
                return self.get(known_id)
            except TicketingError as error:
                if error.kind is ErrorKind.NOT_FOUND:
                    return None
                raise
        params = {
            **_READ,
            "sysparm_query": f"correlation_id={idempotency_key}^ORDERBYsys_created_on",
            "sysparm_limit": "1",
        }
        found = self._call("GET", INCIDENT_PATH, params)
        if not isinstance(found.result, list):
            raise self._error(ErrorKind.PAYLOAD, "the incident list is not a JSON array")
        if not found.result:
            return None
        record = found.result[0]
        if isinstance(record, dict) and "correlation_id" in record:
            carried = _field(record, "correlation_id")[0]
            if carried != idempotency_key:
                # an ignored query term returns any incident (PEERS.md 4.3): taking it as
                # ours would attach the incident to a stranger's ticket
                raise self._error(
                    ErrorKind.PAYLOAD,
                    f"asked for correlation_id {idempotency_key!r}, got an incident carrying "
                    f"{carried!r}; is correlation_id readable by this account?",
                )
        return self._ticket(record)

    def get(self, ticket_id: str) -> RemoteTicket:
        found = self._call("GET", self._record_path(ticket_id), _READ)
        return self._ticket(found.result)

    def comment(self, ticket_id: str, text: str) -> None:
        """Append a work note (a journal field: each write adds an entry)."""
        if text.strip():
            self._patch(ticket_id, {"work_notes": text})

    def update(self, ticket_id: str, change: TicketChange) -> None:
        """Send only the fields the change sets, so a remote edit of the others stands."""
        body: dict[str, object] = dict(change.fields)
        params: dict[str, str] = {}
        if change.severity is not None:
            body["impact"], body["urgency"] = self.impact_urgency[change.severity]
        if change.assignee is not None:
            body["assigned_to"] = change.assignee
            if change.assignee and not _SYS_ID.fullmatch(change.assignee):
                params["sysparm_input_display_value"] = "true"  # a person's name
        if change.comment and change.comment.strip():
            body["work_notes"] = change.comment
        if body:
            self._patch(ticket_id, body, params)

    def resolve(self, ticket_id: str, resolution: Resolution) -> None:
        """The notes are a field of the same PATCH (close_notes): sent again, they land once."""
        self._finish(ticket_id, RESOLVED_CODE, resolution)

    def close(self, ticket_id: str, resolution: Resolution) -> None:
        self._finish(ticket_id, CLOSED_CODE, resolution)

    def _finish(self, ticket_id: str, state: str, resolution: Resolution) -> None:
        body = {"state": state, "close_code": resolution.code, "close_notes": resolution.notes}
        self._patch(ticket_id, body)

    def updated_since(self, ticket_ids: Sequence[str], since: datetime) -> list[RemoteTicket]:
        """The incidents among these updated at or after `since`, oldest change first."""
        since = ensure_utc(since).replace(microsecond=0)
        wanted = list(dict.fromkeys(ticket_ids))
        for ticket_id in wanted:
            self._record_path(ticket_id)  # refuses an id that would bend the query
        tickets: dict[str, RemoteTicket] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            for ticket in self._changed(chunk, since):
                if ticket.id in chunk and (ticket.updated_at is None or ticket.updated_at >= since):
                    tickets[ticket.id] = ticket
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(tickets.values(), key=lambda ticket: ticket.updated_at or oldest)

    def _changed(self, chunk: list[str], since: datetime) -> Iterator[RemoteTicket]:
        # ordered by sys_id, which never changes: ordered by sys_updated_on, an incident
        # edited while we page would jump to the end and shift an unread one onto a page
        # already read, and that change would be missed for good
        query = f"sys_idIN{','.join(chunk)}^sys_updated_on>={since.strftime(TIME_FORMAT)}"
        params = {**_READ, "sysparm_query": query + "^ORDERBYsys_id"}
        offset = 0
        for _ in range(MAX_PAGES):
            page = self._call(
                "GET",
                INCIDENT_PATH,
                {**params, "sysparm_limit": str(self.page_size), "sysparm_offset": str(offset)},
            )
            if not isinstance(page.result, list):
                raise self._error(ErrorKind.PAYLOAD, "the incident list is not a JSON array")
            yield from (self._ticket(record) for record in page.result)
            offset += len(page.result)
            if not _more_pages(page.headers, offset, len(page.result), self.page_size):
                return
        raise self._error(
            ErrorKind.PAYLOAD, f"more than {MAX_PAGES} pages of changed incidents; stopped"
        )

    # ------------------------------------------------------------------ HTTP

    def _record_path(self, ticket_id: str) -> str:
        if not _RECORD_ID.fullmatch(ticket_id):
            raise self._error(ErrorKind.BAD_REQUEST, f"{ticket_id!r} is not a ServiceNow sys_id")
        return f"{INCIDENT_PATH}/{ticket_id}"

    def _patch(
        self, ticket_id: str, body: Mapping[str, object], params: Mapping[str, str] | None = None
    ) -> None:
        self._call("PATCH", self._record_path(ticket_id), {**_WRITE, **(params or {})}, body)

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Mapping[str, object] | None = None,
    ) -> _Answer:
        """One request; the answer's `result` and headers, or a TicketingError."""
        answer = self._http.call(method, path, params=params, body=body)
        if answer.document is None:
            raise self._error(
                ErrorKind.PAYLOAD,
                f"{answer.what} did not answer JSON (empty body)",
                status=answer.status,
            )
        if not isinstance(answer.document, dict) or "result" not in answer.document:
            raise self._error(
                ErrorKind.PAYLOAD,
                f"{answer.what} answered JSON without a result",
                status=answer.status,
            )
        return _Answer(answer.document["result"], answer.headers)

    def _error(self, kind: ErrorKind, message: str, status: int | None = None) -> TicketingError:
        return self._http.error(kind, message, status=status)

    # ------------------------------------------------------------------ records

    def _ticket(self, record: object) -> RemoteTicket:
        if not isinstance(record, dict):
            raise self._error(ErrorKind.PAYLOAD, "an incident that is not a JSON object")
        sys_id, number = _field(record, "sys_id")[0], _field(record, "number")[0]
        if not _RECORD_ID.fullmatch(sys_id) or not number:
            raise self._error(
                ErrorKind.PAYLOAD,
                f"an incident without a sys_id or number ({sys_id!r}, {number!r})",
            )
        code, label = _field(record, "state")
        mapped = STATES.get(code.strip())
        status = label or code
        if mapped is None and label not in ("", code):
            status = f"{label} ({code})"  # a state this instance added: keep its code
        assigned_id, assignee = _field(record, "assigned_to")
        priority_code, priority = _field(record, "priority")
        key = _field(record, "correlation_id")[0]
        return RemoteTicket(
            key=number,
            id=sys_id,
            url=f"{self.base_url}/nav_to.do?uri=incident.do?sys_id={sys_id}",
            state=mapped or TicketState.IN_PROGRESS,
            status=status,
            assignee=assignee or assigned_id or None,
            priority=priority or priority_code or None,
            updated_at=_parse_time(_field(record, "sys_updated_on")[0]),
            idempotency_key=key or None,
        )


if TYPE_CHECKING:  # mypy holds the client to the protocol, signature by signature
    _CONFORMS: type[TicketingClient] = ServiceNowClient


def _field(record: Mapping[str, Any], name: str) -> tuple[str, str]:
    """(value, display value) of a field in any of the Table API's shapes: a plain string,
    {"value", "display_value"} (display_value=all) or {"value", "link"} (a reference)."""
    raw = record.get(name)
    if isinstance(raw, dict):
        value, display = _text(raw.get("value")), raw.get("display_value")
        return value, display if isinstance(display, str) else value
    text = _text(raw)
    return text, text


def _text(value: object) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _description(draft: TicketDraft) -> str:
    """The draft's text, then the scope a person working the incident needs."""
    facts = []
    if draft.customer:
        facts.append(f"Customer: {draft.customer}")
    if draft.impact:
        facts.append(f"Impact: {draft.impact}")
    if draft.services:
        facts.append(f"Services: {', '.join(draft.services)}")
    if draft.alerts:
        facts.append("Alerts:\n" + "\n".join(f"- {alert}" for alert in draft.alerts))
    if draft.link:
        facts.append(f"NOC Console: {draft.link}")
    return "\n\n".join(part for part in (draft.description.strip(), "\n".join(facts)) if part)


def _more_pages(headers: Mapping[str, str], offset: int, count: int, page_size: int) -> bool:
    """Whether another page follows: the Link header's rel="next" when there is a Link
    header, else offset < X-Total-Count, else a full page."""
    if count == 0:
        return False
    link = headers.get("Link")
    if link is not None:
        return "next" in {rel.strip().lower() for rel in _LINK_REL.findall(link)}
    total = (headers.get("X-Total-Count") or "").strip()
    if total.isdigit():
        return offset < int(total)
    return count >= page_size


def _server_words(raw: bytes) -> str | None:
    """ServiceNow's {"error": {"message", "detail"}} (or {"error": "..."}) as one line."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict):
        message, detail = _text(error.get("message")).strip(), _text(error.get("detail")).strip()
        if message and detail and detail != message:
            return f"{message}: {detail}"
        if message or detail:
            return message or detail
    if isinstance(error, str) and error.strip():
        return error.strip()
    return None


def _reset_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """X-RateLimit-Reset: documented as a UNIX time; a small number can only be seconds."""
    moment = delay_seconds(header(headers, "X-RateLimit-Reset"))
    if moment is None:
        return None
    return max(0.0, moment - now.timestamp()) if moment > 1e9 else moment
