"""A queued ticket write against a ticket changed meanwhile: what may still be sent.

RELIABILITY.md 12. A write queued while the desk was offline, or held behind a refused
one, may reach a ticket that someone resolved, closed or reassigned in the meantime.
Before an update, a resolve or a close is replayed, the desk reads the ticket and asks
`replay_plan`:

- a comment is always appended (it is never checked: it overwrites nothing);
- an update never carries an assignee (an assignment goes as a comment), so a reassignment
  made in the ticket is never undone, and it sends only the field it changes (the
  priority), never the whole ticket;
- an update of a ticket that is done (resolved, closed or canceled) is not sent: its
  comment is appended, and its field change waits in "needs attention" as a state
  conflict until an operator retries it (it is then sent while the ticket stays in the
  state they saw) or drops it;
- a resolve of a done ticket, or a close of a closed or canceled one, was done already:
  nothing is sent (a second one would overwrite the resolution someone chose).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from app.domain.notifications import Notification, NotificationKind
from app.domain.outbox import OutboxItem, OutboxOp, OutboxStatus
from app.store.incidents import IncidentRepository
from app.store.outbox import OutboxRepository, TicketRepository
from app.ticketing.base import ErrorKind, RemoteTicket, TicketState

DONE_STATES = frozenset({TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELED})
SYSTEM_NAMES = {"jira": "Jira", "servicenow": "ServiceNow"}
# payload keys the desk adds to a row held by a state conflict
CONFLICT_STATUS = "conflict_status"  # the ticket's status when the conflict was found
CONFIRMED_STATUS = "confirmed_status"  # the status an operator's retry accepted
COMMENT_SENT = "comment_sent"  # an update's comment went out already: only its field waits
NOTES_SENT = "notes_sent"  # a resolve's or close's notes went out as a comment already


class Replay(StrEnum):
    """What a queued update, resolve or close comes to against the ticket as it is now."""

    SEND = "send"
    DONE_ALREADY = "done_already"  # the ticket is where the write would take it
    CONFLICT = "conflict"  # the ticket moved on: a person decides


def replay_plan(op: OutboxOp, payload: Mapping[str, Any], remote: RemoteTicket) -> Replay:
    """What to do with a queued update, resolve or close, given the ticket as it is now."""
    if op is OutboxOp.UPDATE:
        if not payload.get("severity") or remote.state not in DONE_STATES:
            return Replay.SEND
        if payload.get(CONFIRMED_STATUS) == status_of(remote):
            return Replay.SEND  # an operator saw it in this state and said send it anyway
        return Replay.CONFLICT
    if op is OutboxOp.RESOLVE and remote.state in DONE_STATES:
        return Replay.DONE_ALREADY
    if op is OutboxOp.CLOSE and remote.state in (TicketState.CLOSED, TicketState.CANCELED):
        return Replay.DONE_ALREADY
    return Replay.SEND


def status_of(remote: RemoteTicket) -> str:
    """The ticket's status as the system names it (else the mapped state)."""
    return remote.status or remote.state.value


def held_in_conflict(item: OutboxItem) -> bool:
    """Held because the ticket changed meanwhile (this check, or the system's own 409)."""
    return item.status is OutboxStatus.ATTENTION and item.error_kind == ErrorKind.CONFLICT.value


def write_words(op: OutboxOp, payload: Mapping[str, Any]) -> str:
    """A queued write in a few words: 'priority change to P1', 'comment', 'resolve'."""
    if op is OutboxOp.UPDATE and payload.get("severity"):
        return f"priority change to {payload['severity']}"
    if op is OutboxOp.UPDATE:
        return "update"
    return "ticket create" if op is OutboxOp.CREATE else op.value


def conflict_words(
    op: OutboxOp, payload: Mapping[str, Any], remote: RemoteTicket, kind: str
) -> str:
    """Why the write waits, for the outbox and the CLI: 'OPS-12 is Resolved in Jira (last
    changed 10:42 UTC): the queued priority change to P1 was not sent (its comment was
    added).'"""
    system = SYSTEM_NAMES.get(kind, kind)
    changed = (
        f" (last changed {remote.updated_at:%H:%M} UTC)" if remote.updated_at is not None else ""
    )
    comment = " (its comment was added)" if payload.get(COMMENT_SENT) else ""
    return (
        f"{remote.key} is {status_of(remote)} in {system}{changed}: the queued "
        f"{write_words(op, payload)} was not sent{comment}."
    )


@dataclass(frozen=True, slots=True)
class ConflictSummary:
    """A held write in one line, for the operator's notice.

    Attributes:
        ticket: the ticket's key (or the system's name while it has none).
        what: the write in words ('priority change to P1').
        status: the ticket's status that stopped it, when the desk found it ('' for a
            conflict the system itself reported).
    """

    ticket: str
    what: str
    status: str = ""

    def words(self, incident_key: str, system: str) -> str:
        """'INC-000017: OPS-12 is Resolved in Jira; the queued priority change to P1 was
        not sent. Decide in the ticket outbox (retry or drop).'"""
        if self.status:
            happened = (
                f"{self.ticket} is {self.status} in {system}; the queued {self.what} was not sent"
            )
        else:
            happened = f"{system} refused the queued {self.what} of {self.ticket} (state conflict)"
        return f"{incident_key}: {happened}. Decide in the ticket outbox (retry or drop)."


def conflict_notices(
    session: Session, item_ids: Collection[int], kinds: Mapping[str, str], now: datetime
) -> list[Notification]:
    """A notice for each of these rows that is held in a state conflict (the desk's own
    or the system's 409): which incident, ticket and write, and where to decide it.
    `kinds` maps each `[[ticketing]]` name to its kind."""
    incidents, tickets = IncidentRepository(session), TicketRepository(session)
    notices = []
    for item in OutboxRepository(session).by_ids(item_ids):
        if not held_in_conflict(item):
            continue
        incident = incidents.get(item.incident_id)
        link = tickets.link(item.incident_id, item.system)
        system = SYSTEM_NAMES.get(kinds.get(item.system, ""), item.system)
        summary = ConflictSummary(
            ticket=(link.key if link is not None else None) or f"the {system} ticket",
            what=write_words(item.op, item.payload),
            status=str(item.payload.get(CONFLICT_STATUS) or ""),
        )
        text = summary.words(incident.key, system)
        notices.append(
            Notification.about(incident, NotificationKind.TICKET_CONFLICT, now, text, incident.team)
        )
    return notices
