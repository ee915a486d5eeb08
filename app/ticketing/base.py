"""What the console needs from a ticketing system, whichever it is.

One incident, one ticket: a create carries a deterministic idempotency key (Jira: a
label and an issue property; ServiceNow: `correlation_id`), so that after a crash between
the remote create and storing its key, `find` can tell whether the ticket exists before
anything is created again. Every failure is a `TicketingError` that says whether a retry
can help (a 429 with its Retry-After, a 5xx, a network error) or a person must look
(400, 401, 403, 404, a refused redirect: "needs attention", with the server's own message).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.domain.severity import Severity


class TicketState(StrEnum):
    """A ticket's state, mapped from the system's own (Jira status category, SN state code)."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """A ticket to create, pre-filled from the incident.

    Attributes:
        key: the idempotency key (deterministic per incident, e.g. `noc-<incident uid>`).
        summary: one line; `description` plain text (the client renders ADF, wiki or text).
        severity: P1..P4 (mapped to Jira priority names, or ServiceNow impact and urgency).
        customer, services, impact: the scope ("acme: 5 services, orders and payments down").
        alerts: one line per alert (name, service, instance).
        link: a link back to the incident (an https URL), if configured.
        project, assignment_group: the routing chosen for the customer.
    """

    key: str
    summary: str
    description: str
    severity: Severity
    customer: str | None = None
    services: tuple[str, ...] = ()
    impact: str = ""
    alerts: tuple[str, ...] = ()
    link: str | None = None
    project: str | None = None
    assignment_group: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RemoteTicket:
    """A ticket as the system reports it.

    Attributes:
        key: what people quote (Jira `OPS-17`, ServiceNow `INC0010042`).
        id: the system's own id (Jira numeric id, ServiceNow sys_id).
        url: where a person opens it.
        state: mapped state; `status` the system's own name or code.
        assignee, priority: as the system names them (None when unset).
        updated_at: the system's last-updated time (UTC).
        idempotency_key: the key it carries (label / correlation_id), when read.
    """

    key: str
    id: str
    url: str
    state: TicketState
    status: str = ""
    assignee: str | None = None
    priority: str | None = None
    updated_at: datetime | None = None
    idempotency_key: str | None = None


class ErrorKind(StrEnum):
    """What failed; RETRYABLE says which kinds waiting can help."""

    AUTH = "auth"  # 401: the credential is wrong or revoked
    FORBIDDEN = "forbidden"  # 403: ACL, data policy, permission scheme
    NOT_FOUND = "not_found"  # 404: gone, or hidden from this account
    CONFLICT = "conflict"  # 409: a conflicting update; the state changed remotely
    BAD_REQUEST = "bad_request"  # 400/422: the system refused the content (a required field)
    RATE_LIMITED = "rate_limited"  # 429
    SERVER = "server"  # 5xx
    NETWORK = "network"  # DNS, refused, timeout, TLS
    PAYLOAD = "payload"  # an answer that is not what the API documents
    REDIRECT = "redirect"  # 3xx: not followed, the credential would go along; fix the URL
    UNCERTAIN = "uncertain"  # cannot tell whether an earlier create arrived: a person looks


RETRYABLE = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.SERVER, ErrorKind.NETWORK})


class TicketingError(Exception):
    """A failed ticketing call.

    Attributes:
        kind: what failed (ErrorKind); `retryable` whether waiting can help.
        message: the server's own words (Jira errorMessages/errors, SN error.message/detail).
        status: the HTTP status, if any.
        retry_after: seconds (a float, never a time of day) the server asked to wait
            (429, some 503s), read from Retry-After or the vendor's rate-limit reset.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        super().__init__(
            f"{kind.value}: {message}"
            if status is None
            else f"HTTP {status} {kind.value}: {message}"
        )

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


@dataclass(frozen=True, slots=True)
class TicketChange:
    """Fields to change on a ticket; only those set are sent (a remote edit is not overwritten).

    Attributes:
        severity: the new severity (Jira priority; ServiceNow impact and urgency).
        assignee: a person ("" unassigns).
        comment: a comment (Jira) or work note (ServiceNow) added with the change.
        fields: further fields by the system's own names, sent as given (JSON values:
            a ServiceNow field takes a string, a Jira custom field may take an object).
    """

    severity: Severity | None = None
    assignee: str | None = None
    comment: str | None = None
    fields: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a ticket is resolved or closed: the resolution code and the notes.

    Where the notes must go as a separate comment before the state change (a Jira
    transition without a screen), a retry would post them again: the client calls
    `on_notes_posted` once they are, the caller records it and says `notes_posted=True`
    next time. Where the notes are a field of the same write (ServiceNow), both are moot.
    """

    code: str
    notes: str
    notes_posted: bool = False
    on_notes_posted: Callable[[], None] | None = field(default=None, compare=False)


class TicketingClient(Protocol):
    """One configured ticketing system. Every call sets a timeout; none follows redirects
    with credentials; errors are TicketingError."""

    name: str
    kind: str

    def check(self) -> str:
        """Test the connection and the credential; a line saying who we are and where."""
        ...

    def create(self, draft: TicketDraft) -> RemoteTicket: ...

    def disconnect(self) -> None:
        """Release the HTTP session (`close` is the ticket operation)."""
        ...

    # True when `find` without a mark may miss a ticket created moments ago (Jira's
    # search index); False when its lookup reads what was written (ServiceNow's table)
    search_lags: bool

    def mark(self, project: str | None = None) -> str | None:
        """A bookmark taken just before a create and stored with the attempt, from which
        `find(after=...)` can prove the create absent after a crash (Jira: the project's
        newest issue key); None when the system's lookup needs none (ServiceNow)."""
        ...

    def find(
        self,
        idempotency_key: str,
        known_id: str | None = None,
        project: str | None = None,
        after: str | None = None,
    ) -> RemoteTicket | None:
        """The ticket created with this key, if any (Jira: by the stored id or key, else by
        reading every issue of `project` — the draft's routed project, or the configured
        one — created after the mark `after`, else by label; ServiceNow: by correlation_id,
        and `project` and `after` are ignored). None proves absence unless `search_lags`
        and no mark was given."""
        ...

    def get(self, ticket_id: str) -> RemoteTicket: ...

    def comment(self, ticket_id: str, text: str) -> None:
        """Append a comment (Jira) or a work note (ServiceNow)."""
        ...

    def update(self, ticket_id: str, change: TicketChange) -> None: ...

    def resolve(self, ticket_id: str, resolution: Resolution) -> None:
        """Move to a resolved state with the resolution's code and notes."""
        ...

    def close(self, ticket_id: str, resolution: Resolution) -> None:
        """As `resolve`, to the closed state."""
        ...

    def updated_since(self, ticket_ids: Sequence[str], since: datetime) -> list[RemoteTicket]:
        """The tickets among these changed at or after `since` (paged).

        The lower bound is inclusive and precise to the second (`since` is cut to whole
        seconds: ServiceNow stores no less), so a ticket may come back twice. `since` is
        an aware time on the workstation's clock: the caller passes the start of its last
        poll minus a margin for clock skew, never the last answer's time."""
        ...
