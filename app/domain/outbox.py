"""Ticket writes waiting to be delivered, and the link between an incident and its ticket.

Every write to a ticketing system is first a row here, committed in the same transaction
as the incident change that caused it; a worker delivers rows in order per incident. A
row is only marked delivered after the system confirmed it, so a crash, a 503 or a
network outage loses nothing: the row is still there at the next start. A 400, 401, 403
or 404 is not retried blindly: the row waits in "needs attention" with the server's words,
until an operator retries it or drops it (a dropped row is kept, marked "dropped").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class OutboxOp(StrEnum):
    CREATE = "create"
    COMMENT = "comment"
    UPDATE = "update"
    RESOLVE = "resolve"
    CLOSE = "close"


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn or its next attempt
    DELIVERED = "delivered"
    ATTENTION = "attention"  # refused or in conflict: waits for a person to retry or drop it
    # an operator decided not to send it (who and why: the incident's timeline); kept
    DROPPED = "dropped"


# nothing more will be sent for a row in these: it no longer holds its incident's queue
SETTLED = frozenset({OutboxStatus.DELIVERED, OutboxStatus.DROPPED})


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One queued ticket write.

    Attributes:
        id: storage id; rows of one incident are delivered in id order.
        incident_id, system: what it is about and where it goes (`[[ticketing]]` name).
        op, payload: what to do (a create's draft, a comment's text, changed fields).
        status, attempts, next_attempt_at: delivery state; `last_error` the last failure.
        attempted_at: when a create was last sent (its outcome may be unknown after a crash).
        attempt_mark: the system's bookmark taken just before that send (Jira: the
            project's newest issue key), from which a lookup can prove the create absent.
    """

    incident_id: int
    system: str
    op: OutboxOp
    payload: Mapping[str, Any]
    created_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    attempted_at: datetime | None = None
    attempt_mark: str | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None
    error_kind: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class TicketLink:
    """An incident's ticket in one system.

    Attributes:
        idempotency_key: stored before the first remote call; the ticket carries it
            (Jira label and property, ServiceNow correlation_id).
        remote_id, key, url: known once the create was confirmed (None before).
        state, assignee, priority, remote_updated_at: as last synced back.
    """

    incident_id: int
    system: str
    idempotency_key: str
    remote_id: str | None = None
    key: str | None = None
    url: str | None = None
    state: str | None = None
    assignee: str | None = None
    priority: str | None = None
    remote_updated_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
