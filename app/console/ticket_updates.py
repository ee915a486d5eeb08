"""What an incident's new timeline events send to its ticket.

Called inside the transaction that stores the incident change, so the change and its
queued ticket write commit together (or neither does). Escalations, assignments,
severity changes, customer updates, notes and finished runbook actions become comments
(ServiceNow work notes); a severity change also updates the priority; resolving,
closing and a false positive carry a resolution code and notes. Runbook ticks and the
ticket's own logging are left out: the ticket is for the customer's people, not every
checkbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.domain.incident import EventKind, Incident, TimelineEvent
from app.domain.outbox import OutboxItem, OutboxOp
from app.store.outbox import OutboxRepository, TicketRepository

# resolution codes per system kind: Jira's default resolutions, ServiceNow's close codes
RESOLUTION_CODES = {
    "jira": {"resolved": "Done", "false_positive": "Won't Do", "closed": "Done"},
    "servicenow": {
        "resolved": "Solution provided",
        "false_positive": "No resolution provided",
        "closed": "Solution provided",
    },
}
_COMMENTED = {
    EventKind.ACKNOWLEDGED: "acknowledged",
    EventKind.ASSIGNED: "assigned",
    EventKind.ESCALATED: "escalated",
    EventKind.DEESCALATED: "de-escalated",
    EventKind.PAUSED: "waiting on the customer (SLA clocks paused)",
    EventKind.RESUMED: "SLA clocks resumed",
    EventKind.CUSTOMER_UPDATE: "customer updated",
    EventKind.NOTE: "note",
    EventKind.REOPENED: "reopened: the problem came back",
}


def queue_ticket_writes(
    session: Session, before: Incident, after: Incident, now: datetime
) -> list[OutboxItem]:
    """Queue what `after`'s new events mean for each of the incident's tickets."""
    if after.id is None:
        return []
    links = TicketRepository(session).for_incident(after.id)
    if not links:
        return []
    new = after.timeline[len(before.timeline) :]
    outbox = OutboxRepository(session)
    queued = []
    for link in links:
        for op, payload in writes_for(new, after):
            queued.append(
                outbox.add(
                    OutboxItem(
                        incident_id=after.id,
                        system=link.system,
                        op=op,
                        payload=payload,
                        created_at=now,
                    )
                )
            )
    return queued


def writes_for(
    events: Iterable[TimelineEvent], incident: Incident
) -> list[tuple[OutboxOp, dict[str, Any]]]:
    writes: list[tuple[OutboxOp, dict[str, Any]]] = []
    for event in events:
        who = event.actor
        note = f": {event.note}" if event.note else ""
        if event.kind is EventKind.SEVERITY_CHANGED:
            writes.append(
                (
                    OutboxOp.UPDATE,
                    {
                        "severity": event.data.get("to") or incident.severity.value,
                        "comment": f"{incident.key} severity changed to "
                        f"{event.data.get('to') or incident.severity.value} by {who}{note}",
                    },
                )
            )
        elif event.kind in (EventKind.RESOLVED, EventKind.FALSE_POSITIVE):
            code = "false_positive" if event.kind is EventKind.FALSE_POSITIVE else "resolved"
            words = "marked a false positive" if code == "false_positive" else "resolved"
            notes = f"{incident.key} {words} by {who}{note}"
            writes.append((OutboxOp.RESOLVE, {"code": code, "notes": notes}))
        elif event.kind is EventKind.CLOSED:
            rca = incident.rca or event.note or "closed"
            writes.append((OutboxOp.CLOSE, {"code": "closed", "notes": f"Root cause: {rca}"}))
        elif event.kind is EventKind.ACTION_RUN and event.data.get("status") not in (
            "running",
            "pending",
        ):
            text = f"Runbook action {event.data.get('kind', '')} by {who}: {event.note}"
            writes.append((OutboxOp.COMMENT, {"text": text}))
        elif event.kind in _COMMENTED:
            detail = _detail(event)
            text = f"{incident.key} {_COMMENTED[event.kind]}{detail} by {who}{note}"
            writes.append((OutboxOp.COMMENT, {"text": text}))
    return writes


def _detail(event: TimelineEvent) -> str:
    if event.kind in (EventKind.ESCALATED, EventKind.DEESCALATED):
        return f" {event.data.get('from', '')} \u2192 {event.data.get('to', '')}"
    if event.kind is EventKind.ASSIGNED:
        return f" to {event.data.get('to', '')}"
    return ""


def resolution_code(kind: str, code: str) -> str:
    """The system's own code for a neutral one (`resolved`, `false_positive`, `closed`)."""
    return RESOLUTION_CODES.get(kind, {}).get(code, code)
