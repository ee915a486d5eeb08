"""The three ticketing systems the outbox delivers to, behind one face for shared scenarios.

Jira Cloud (REST v3, Basic e-mail:token, ADF), Jira Data Center (REST v2, Bearer PAT,
wiki markup, `/search` with startAt) and ServiceNow (Table API, Basic user:password), each
on its contract fake. The fakes are extended here, not changed: every write they receive
is logged as a `Write` (what it did to which ticket, with the words it carried, and the
status answered), and a test can refuse the next write of one kind (optionally only one
carrying some text) with the vendor's own error body, or hold it unanswered until the
test lets it go (a desk killed while it waits for the answer).
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.config import Config
from app.config.policies import load_policies
from app.config.settings import TicketingConfig
from app.config.ticketing import TicketingOptions
from app.console import Console
from app.domain.alert import Alert
from app.domain.severity import Severity
from app.secrets import environment_name
from app.sources.demo import load_demo_estate
from app.store import Database
from tests.helpers.jira_fake import EMAIL, NOT_SEEN, USERS, JiraFake
from tests.helpers.jira_fake import TOKEN as JIRA_TOKEN
from tests.helpers.servicenow_fake import NOT_FOUND, UNAUTHENTICATED, ServiceNowFake
from tests.helpers.servicenow_fake import PASSWORD as SN_PASSWORD
from tests.helpers.servicenow_fake import USER as SN_USER
from tests.helpers.sources import ScriptedSource, make_alert

SYSTEMS = ("jira-cloud", "jira-datacenter", "servicenow")
HOLD_TIMEOUT_S = 30.0  # a held request is answered by then whatever the test does


@dataclass(frozen=True)
class Write:
    """One write a fake received.

    Attributes:
        kind: create, comment, update, resolve or close.
        ticket: the remote id it acted on (a create's: the id it got; None if not taken).
        texts: the words it carried (comment body, work notes, close notes), in order.
        status: what the fake answered.
    """

    kind: str
    ticket: str | None
    texts: tuple[str, ...]
    status: int

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Refusal:
    """Answer the next `times` writes of `kind` (carrying `containing`, if given) with this."""

    kind: str
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    containing: str | None = None
    times: int = 1


class Hold:
    """Keeps the first write of `kind` carrying `containing` unanswered until `release`;
    it is then answered 503 and not applied (its desk died before the server took it)."""

    def __init__(self, kind: str, containing: str | None) -> None:
        self.kind = kind
        self.containing = containing
        self.arrived = threading.Event()
        self._released = threading.Event()
        self.used = False

    def release(self) -> None:
        self._released.set()

    def wait_released(self) -> None:
        self._released.wait(HOLD_TIMEOUT_S)


def _carries(texts: Sequence[str], wanted: str | None) -> bool:
    return wanted is None or any(wanted in text for text in texts)


@dataclass
class _WriteLog:
    """What both fakes add: the write log, refusals and holds, around their own handler
    (listed first among a fake's bases, so its `_handle` wraps the fake's)."""

    wire: list[Write] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)

    def _handle(self, request: Request) -> Response:
        kind, ticket, texts = self._classify(request)
        own = super()._handle  # type: ignore[misc]  # the fake's, next in the MRO
        return self._intercept(kind, ticket, texts, lambda: own(request))

    def _classify(self, request: Request) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(the kind of write, the ticket it is for, the texts it carries), or Nones."""
        raise NotImplementedError

    def _created_id(self, response: Response) -> str | None:
        raise NotImplementedError

    def _intercept(
        self,
        kind: str | None,
        ticket: str | None,
        texts: tuple[str, ...],
        answer: Callable[[], Response],
    ) -> Response:
        if kind is None:
            return answer()
        for hold in self.holds:
            if not hold.used and hold.kind == kind and _carries(texts, hold.containing):
                hold.used = True
                hold.arrived.set()
                hold.wait_released()
                self.wire.append(Write(kind, ticket, texts, 503))
                return Response(b"held, then dropped", 503, content_type="text/plain")
        for refusal in self.refusals:
            if refusal.times > 0 and refusal.kind == kind and _carries(texts, refusal.containing):
                refusal.times -= 1
                self.wire.append(Write(kind, ticket, texts, refusal.status))
                return Response(
                    refusal.body,
                    refusal.status,
                    refusal.headers,
                    content_type=refusal.content_type,
                )
        response = answer()
        if kind == "create" and 200 <= response.status_code < 300:
            ticket = self._created_id(response)
        self.wire.append(Write(kind, ticket, texts, response.status_code))
        return response


def adf_text(node: Any) -> str:
    """The plain text of an ADF document (paragraphs run together)."""
    if isinstance(node, dict):
        own = node.get("text", "") if node.get("type") == "text" else ""
        return own + "".join(adf_text(child) for child in node.get("content", []))
    return node if isinstance(node, str) else ""


def _comment_texts(update: Any) -> list[str]:
    if not isinstance(update, dict):
        return []
    return [
        adf_text((operation.get("add") or {}).get("body"))
        for operation in update.get("comment") or []
        if isinstance(operation, dict)
    ]


@dataclass
class WiredJira(_WriteLog, JiraFake):
    """The Jira fake with a write log, refusals and holds."""

    def _classify(self, request: Request) -> tuple[str | None, str | None, tuple[str, ...]]:
        parts = request.path.strip("/").split("/")  # rest, api, 3, issue, <ref>, <what>
        if len(parts) < 4 or parts[:2] != ["rest", "api"] or parts[3] != "issue":
            return None, None, ()
        try:
            body = json.loads(request.get_data()) if request.get_data() else {}
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if len(parts) == 4:
            summary = (body.get("fields") or {}).get("summary")
            return ("create" if request.method == "POST" else None), None, (str(summary),)
        found = self._find(parts[4])
        ticket = found.id if found is not None else parts[4]
        what = parts[5] if len(parts) > 5 else ""
        if request.method == "PUT" and what == "":
            return "update", ticket, tuple(_comment_texts(body.get("update")))
        if request.method == "POST" and what == "comment":
            return "comment", ticket, (adf_text(body.get("body")),)
        if request.method == "POST" and what == "transitions":
            wanted = (body.get("transition") or {}).get("id")
            target = next((t.to for t in self.transitions if t.id == wanted), "")
            kind = {"Resolved": "resolve", "Closed": "close"}.get(target, "transition")
            return kind, ticket, tuple(_comment_texts(body.get("update")))
        return None, None, ()

    def _created_id(self, response: Response) -> str | None:
        return str(json.loads(response.get_data()).get("id"))


@dataclass
class WiredServiceNow(_WriteLog, ServiceNowFake):
    """The ServiceNow fake with a write log, refusals and holds."""

    def _classify(self, request: Request) -> tuple[str | None, str | None, tuple[str, ...]]:
        table, _, sys_id = request.path.removeprefix("/api/now/table/").partition("/")
        if table != "incident" or request.method not in ("POST", "PATCH", "PUT"):
            return None, None, ()
        body = request.get_json(silent=True) if request.get_data() else None
        body = body if isinstance(body, dict) else {}
        texts = tuple(str(body[name]) for name in ("work_notes", "close_notes") if body.get(name))
        if request.method == "POST":
            return "create", None, (str(body.get("short_description")),)
        state = body.get("state")
        if state == "7":
            return "close", sys_id, texts
        if state == "6":
            return "resolve", sys_id, texts
        if "impact" in body or "urgency" in body:
            return "update", sys_id, texts
        return ("comment" if "work_notes" in body else "update"), sys_id, texts

    def _created_id(self, response: Response) -> str | None:
        result = json.loads(response.get_data()).get("result") or {}
        sys_id = result.get("sys_id")
        return str(sys_id.get("value") if isinstance(sys_id, dict) else sys_id)


class TicketSystem(ABC):
    """One system on its fake, as the shared scenarios drive it.

    Attributes:
        name: jira-cloud, jira-datacenter or servicenow (the test id).
        fake: the wired fake (its `wire` log of writes, `refusals` and `holds`).
    """

    name: str
    fake: WiredJira | WiredServiceNow

    def entry(self, timeout: float = 5.0) -> TicketingConfig:
        return system_entry(self.name, self.fake.url, timeout)

    @property
    def secret(self) -> dict[str, str]:
        """The environment variable that gives the console this system's secret."""
        return system_secret(self.name)

    def accepted(self, kind: str | None = None, ticket: str | None = None) -> list[Write]:
        """The writes the fake took, oldest first (of one kind, on one ticket)."""
        return [
            w
            for w in self.fake.wire
            if w.accepted
            and (kind is None or w.kind == kind)
            and (ticket is None or w.ticket == ticket)
        ]

    def landed(self, text: str, ticket: str | None = None) -> list[Write]:
        """The accepted writes that carried `text`."""
        return [w for w in self.accepted(ticket=ticket) if _carries(w.texts, text)]

    def refuse(
        self,
        kind: str,
        status: int,
        *,
        containing: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> list[str]:
        """Refuse the next write(s) of `kind` with the vendor's body for `status`; the
        server's own words an operator should read in the outbox."""
        body, content_type, words = self.error_body(status)
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        self.fake.refusals.append(
            Refusal(kind, status, body, content_type, headers, containing, times)
        )
        return words

    def hold(self, kind: str, containing: str | None = None) -> Hold:
        hold = Hold(kind, containing)
        self.fake.holds.append(hold)
        return hold

    @abstractmethod
    def error_body(self, status: int) -> tuple[bytes, str, list[str]]:
        """The body this system answers `status` with: (body, content type, its words)."""

    @abstractmethod
    def state(self, ticket: str) -> str:
        """open, resolved or closed."""

    @abstractmethod
    def priority(self, ticket: str) -> Severity:
        """The ticket's priority as the severity it means."""

    @abstractmethod
    def work_remotely(self, ticket: str) -> str:
        """Someone takes the ticket in the system and raises it to the top priority; the
        owner name the console should then show."""


class JiraSystem(TicketSystem):
    def __init__(self, server: HTTPServer, flavour: str) -> None:
        self.name = f"jira-{flavour}"
        self.fake = self.jira = WiredJira(server, flavour=flavour)

    def error_body(self, status: int) -> tuple[bytes, str, list[str]]:
        if status == 429:
            return b"Rate limit exceeded", "text/plain", []
        if status == 503:
            page = b"<html><head><title>Service Unavailable</title></head><body>down</body></html>"
            return page, "text/html", ["Service Unavailable"]
        messages, errors = {
            400: ([], {"comment": "Comment body is too long (32767 characters at most)."}),
            401: (["Client must be authenticated to access this resource."], {}),
            403: (
                ["You do not have the permission to see the specified issue."],
                {"transition": "Only members of the NOC group may transition this issue."},
            ),
            404: ([NOT_SEEN], {}),
            409: (["The issue was updated by someone else (conflicting update)."], {}),
        }[status]
        body = {"errorMessages": messages, "errors": errors}
        words = [*messages, *errors.values()]
        return json.dumps(body).encode(), "application/json", words

    def state(self, ticket: str) -> str:
        status = self.jira.issue(ticket).status
        return {"Resolved": "resolved", "Closed": "closed"}.get(status, "open")

    def priority(self, ticket: str) -> Severity:
        name = self.jira.issue(ticket).fields["priority"]["name"]
        return {"Highest": Severity.P1, "High": Severity.P2, "Medium": Severity.P3}.get(
            name, Severity.P4
        )

    def work_remotely(self, ticket: str) -> str:
        bob = next(u for u in USERS if u.name == "bob")
        issue = self.jira.issue(ticket)
        self.jira.advance(timedelta(minutes=5))
        cloud = self.jira.flavour == "cloud"
        issue.fields["assignee"] = {"accountId": bob.account_id} if cloud else {"name": bob.name}
        issue.fields["priority"] = {"name": "Highest"}
        issue.updated = self.jira.now
        return bob.display_name if cloud else bob.name  # v2 names people by user name


class ServiceNowSystem(TicketSystem):
    def __init__(self, server: HTTPServer) -> None:
        self.name = "servicenow"
        self.fake = self.snow = WiredServiceNow(server)

    def error_body(self, status: int) -> tuple[bytes, str, list[str]]:
        documents: dict[int, Any] = {
            400: {"message": "Invalid request", "detail": "work_notes: value too long"},
            401: UNAUTHENTICATED["error"],
            403: {
                "message": "Operation Failed",
                "detail": "ACL restricts the record update for noc.bot",
            },
            404: NOT_FOUND["error"],
            429: {
                "message": "Too Many Requests",
                "detail": "Rate limit exceeded for rule noc-integration",
            },
            503: {"message": "Service Unavailable", "detail": "The instance is hibernating"},
        }
        error = documents[status]
        body = json.dumps({"error": error, "status": "failure"}).encode()
        return body, "application/json", [str(error["message"]), str(error["detail"])]

    def state(self, ticket: str) -> str:
        state = self.snow.incidents[ticket]["state"]
        return {"6": "resolved", "7": "closed"}.get(state, "open")

    def priority(self, ticket: str) -> Severity:
        code = self.snow.incidents[ticket]["priority"]
        return {"1": Severity.P1, "2": Severity.P2, "3": Severity.P3}.get(code, Severity.P4)

    def work_remotely(self, ticket: str) -> str:
        self.snow.assign(ticket, "jdoe")
        self.snow.remote_edit(ticket, impact="1", urgency="1")
        return "Jane Doe"


def make_system(name: str, server: HTTPServer) -> TicketSystem:
    if name == "servicenow":
        return ServiceNowSystem(server)
    return JiraSystem(server, name.removeprefix("jira-"))


def system_entry(name: str, url: str, timeout: float = 5.0) -> TicketingConfig:
    """The `[[ticketing]]` entry a console uses for this system on the fake at `url`."""
    if name == "servicenow":
        options = TicketingOptions(user=SN_USER, assignment_group=None, timeout=timeout)
        return TicketingConfig(name="snow", kind="servicenow", url=url, settings=options)
    cloud = name == "jira-cloud"
    options = TicketingOptions(
        project="OPS", api=3 if cloud else 2, user=EMAIL if cloud else None, timeout=timeout
    )
    return TicketingConfig(name="jira-ops", kind="jira", url=url, settings=options)


def system_secret(name: str) -> dict[str, str]:
    entry = system_entry(name, "http://localhost")
    return {environment_name(entry.name): SN_PASSWORD if name == "servicenow" else JIRA_TOKEN}


# ---------------------------------------------------------------------- consoles

# four alerts on unrelated services of three customers: four incidents
ALERTS: tuple[tuple[str, str, str], ...] = (
    ("HighLatency", "acme", "acme-api"),
    ("DiskFull", "globex", "globex-db"),
    ("BackupFailed", "initech", "initech-backup"),
    ("IndexLag", "acme", "acme-search"),
)


def alerts(t0: datetime, count: int) -> list[Alert]:
    return [
        make_alert(alertname=name, customer=customer, service=service, starts_at=t0)
        for name, customer, service in ALERTS[:count]
    ]


def outbox_console(
    db_url: str,
    entries: Sequence[TicketingConfig],
    t0: datetime,
    *,
    incidents: int = 1,
    operator: str = "alice",
) -> Console:
    """A console with these entries, polled once at `t0` with `incidents` unrelated alerts."""
    source = ScriptedSource()
    source.set(alerts(t0, incidents))
    console = desk_console(db_url, entries, operator=operator, sources=[source])
    console.poll_once(t0)
    return console


def desk_console(
    db_url: str,
    entries: Sequence[TicketingConfig],
    *,
    operator: str,
    sources: Sequence[ScriptedSource] = (),
) -> Console:
    """Another workstation on the same database: no polling of its own."""
    return Console(
        Config(ticketing=tuple(entries)),
        Database(db_url),
        catalog=load_demo_estate(),
        policies=load_policies(),
        sources=list(sources),
        operator=operator,
    )


def incident_for(console: Console, service: str) -> int:
    """The id of the open incident of this service's alert."""
    (found,) = [i.id for i in console.incidents() if service in i.services]
    assert found is not None
    return found


def open_ticket(console: Console, incident_id: int, now: datetime) -> str:
    """Queue the incident's ticket and deliver it; the ticket's remote id."""
    console.request_ticket(incident_id, now)
    console.deliver_tickets(now, incident_id=incident_id)
    link = console.ticket_link(incident_id)
    assert link is not None
    assert link.remote_id is not None, console.outbox()
    return link.remote_id


def deliver_until_quiet(console: Console, start: datetime, passes: int = 12) -> datetime:
    """Delivery passes a second apart until one sends nothing; the time of the last pass."""
    now = start
    for step in range(passes):
        now = start + timedelta(seconds=step)
        report = console.deliver_tickets(now)
        if not report.delivered and not report.retrying and not report.attention:
            return now
    return now


def wired_system(name: str, server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> TicketSystem:
    """`make_system`, with the system's secrets in the environment (NOC_SECRET_*) for the
    test's length: what the suites' `system` fixtures start from."""
    made = make_system(name, server)
    for variable, value in made.secret.items():
        monkeypatch.setenv(variable, value)
    return made
