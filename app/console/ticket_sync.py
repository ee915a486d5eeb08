"""Changes made in a ticket come back: assignee, priority and state, each with a timeline event.

The console asks each system for the tickets of open incidents updated since its last
look (minus a minute: the systems' times are second-precise and their clocks are not
ours). An assignee becomes the incident's owner; a priority maps back to a severity (the
configured Jira names, or ServiceNow's priority number); a ticket resolved or closed
resolves its open incident when none of the incident's alerts fires any more — with
alerts still firing that is for a person to decide, so it is noted in the timeline, as
is every other state change (in progress, on hold, canceled, reopened): starting work
in a ticket is not taken as the incident's response, since an assignment rule may do
it. Events written here carry the actor `ticket <KEY>` and are stored by
`Console._apply_remote`, which queues nothing: what came from the ticket is not sent back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.domain.incident import Incident
from app.domain.outbox import TicketLink
from app.domain.severity import Severity
from app.ticketing.base import RemoteTicket, TicketState
from app.ticketing.jira import DEFAULT_PRIORITIES

TICKET_ACTOR = "ticket "


@dataclass(frozen=True, slots=True)
class RemoteChange:
    """What changed in one ticket since the console last looked."""

    link: TicketLink
    remote: RemoteTicket
    assignee: str | None = None  # the new assignee, when it changed to someone
    severity: Severity | None = None  # the severity its new priority means
    state: str | None = None  # the new state, when it changed

    @property
    def actor(self) -> str:
        return f"{TICKET_ACTOR}{self.remote.key}"

    @property
    def any(self) -> bool:
        return bool(self.assignee or self.severity or self.state)


def remote_change(
    link: TicketLink,
    remote: RemoteTicket,
    incident: Incident,
    kind: str,
    priorities: Mapping[Severity, str],
) -> RemoteChange:
    assignee = remote.assignee if remote.assignee and remote.assignee != link.assignee else None
    if assignee is not None and assignee == incident.owner:
        assignee = None
    severity = None
    if remote.priority and remote.priority != link.priority:
        mapped = severity_of(kind, remote.priority, priorities)
        severity = mapped if mapped is not None and mapped != incident.severity else None
    state = (
        remote.state.value if link.state is not None and remote.state.value != link.state else None
    )
    return RemoteChange(link, remote, assignee, severity, state)


def remote_state(incident: Incident, change: RemoteChange, firing: int, now: datetime) -> Incident:
    """The incident after its ticket's new state: resolved with it when no alert fires,
    else a note saying what the ticket did (nothing when both are already done)."""
    remote = change.remote
    state = TicketState(change.state) if change.state else None
    done = state in (TicketState.RESOLVED, TicketState.CLOSED)
    if done and incident.state.active and firing == 0:
        return incident.resolve(change.actor, now, f"{remote.status} in {remote.key}")
    if done and not incident.state.active:
        return incident  # the incident ended first: its own resolve went to the ticket
    words = f"{remote.key} is now {(change.state or '').replace('_', ' ')} ({remote.status})"
    if done:
        words += f"; {firing} alert{'s' if firing != 1 else ''} still firing: not resolved here"
    return incident.add_note(change.actor, now, words)


def severity_of(kind: str, priority: str, priorities: Mapping[Severity, str]) -> Severity | None:
    """A ticket's priority as a severity: Jira by the configured names, ServiceNow by its
    number (1 Critical .. 5 Planning; 4 and 5 are both P4)."""
    if kind == "jira":
        names = {
            name.lower(): severity for severity, name in (priorities or DEFAULT_PRIORITIES).items()
        }
        return names.get(priority.strip().lower())
    found = re.match(r"\s*([1-5])", priority)
    if found is None:
        return None
    return (Severity.P1, Severity.P2, Severity.P3, Severity.P4, Severity.P4)[
        int(found.group(1)) - 1
    ]
