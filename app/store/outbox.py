"""Tickets and the outbox in storage (app/domain/outbox.py says what they promise)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.domain.incident import OPEN_STATES
from app.domain.outbox import SETTLED, OutboxItem, OutboxOp, OutboxStatus, TicketLink
from app.store.tables import IncidentRow, OutboxRow, TicketRow

_OPEN = sorted(state.value for state in OPEN_STATES)
_SETTLED = sorted(status.value for status in SETTLED)  # delivered or dropped: nothing to send


class TicketRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def link(self, incident_id: int, system: str) -> TicketLink | None:
        row = self.session.scalars(
            select(TicketRow).where(
                TicketRow.incident_id == incident_id, TicketRow.system == system
            )
        ).first()
        return _link(row) if row is not None else None

    def for_incident(self, incident_id: int) -> list[TicketLink]:
        rows = self.session.scalars(select(TicketRow).where(TicketRow.incident_id == incident_id))
        return [_link(row) for row in rows]

    def add(self, link: TicketLink) -> TicketLink:
        """Store the key before any remote call (the caller's transaction commits it)."""
        self.session.add(
            TicketRow(
                incident_id=link.incident_id,
                system=link.system,
                idempotency_key=link.idempotency_key,
            )
        )
        self.session.flush()
        return link

    def confirm(self, link: TicketLink) -> None:
        """The system confirmed the ticket: its id, key, url and what it said of it."""
        self.session.execute(
            update(TicketRow)
            .where(TicketRow.incident_id == link.incident_id, TicketRow.system == link.system)
            .values(
                remote_id=link.remote_id,
                key=link.key,
                url=link.url,
                state=link.state,
                assignee=link.assignee,
                priority=link.priority,
                remote_updated_at=link.remote_updated_at,
            )
        )

    def linked(self, incident_ids: set[int]) -> set[int]:
        """Which of these incidents have a ticket (one query, for a poll's changed incidents)."""
        if not incident_ids:
            return set()
        rows = self.session.scalars(
            select(TicketRow.incident_id).where(TicketRow.incident_id.in_(sorted(incident_ids)))
        )
        return set(rows)

    def of_open_incidents(self) -> list[TicketLink]:
        """Created tickets whose incident is still open: the ones sync back watches."""
        rows = self.session.scalars(
            select(TicketRow)
            .join(IncidentRow, IncidentRow.id == TicketRow.incident_id)
            .where(TicketRow.remote_id.is_not(None), IncidentRow.state.in_(_OPEN))
        )
        return [_link(row) for row in rows]


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: OutboxItem) -> OutboxItem:
        row = OutboxRow(
            incident_id=item.incident_id,
            system=item.system,
            op=item.op.value,
            payload=dict(item.payload),
            status=item.status.value,
            attempts=item.attempts,
            created_at=item.created_at,
            next_attempt_at=item.next_attempt_at,
        )
        self.session.add(row)
        self.session.flush()
        return replace(item, id=row.id)

    def due(self, now: datetime, *, incident_id: int | None = None) -> list[OutboxItem]:
        """The head of each incident's queue, if its time has come: rows of one incident go
        out in order, so a comment never overtakes the create it belongs to. A row waiting
        for attention holds the rows behind it (they would act on a ticket in an unknown
        state); only a human releases it (retry or drop in the outbox view)."""
        heads = (
            select(OutboxRow.incident_id, OutboxRow.system, func.min(OutboxRow.id).label("first"))
            .where(OutboxRow.status.not_in(_SETTLED))
            .group_by(OutboxRow.incident_id, OutboxRow.system)
        )
        if incident_id is not None:
            heads = heads.where(OutboxRow.incident_id == incident_id)
        first = heads.subquery()
        query = (
            select(OutboxRow)
            .join(first, OutboxRow.id == first.c.first)
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
            )
            .order_by(OutboxRow.id)
        )
        return [_item(row) for row in self.session.scalars(query)]

    def claim(self, item_id: int, now: datetime, lease: timedelta) -> bool:
        """Take a due row for one delivery (a lease until `now + lease`): of two threads or
        desks delivering at once, only one gets it; a desk that dies mid-call lets the lease
        run out and another takes the row over."""
        result = self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == item_id,
                OutboxRow.status == OutboxStatus.PENDING.value,
                or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
            )
            .values(next_attempt_at=now + lease)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def attempted(self, item_id: int, at: datetime, mark: str | None = None) -> None:
        """Committed before a create goes out: after a crash, its outcome is unknown, and
        `mark` (the system's bookmark taken just before) is where a lookup starts."""
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(attempted_at=at, attempt_mark=mark, attempts=OutboxRow.attempts + 1)
        )

    def delivered(self, item_id: int, at: datetime) -> None:
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(status=OutboxStatus.DELIVERED.value, delivered_at=at, last_error=None)
        )

    def retry_later(
        self, item_id: int, at: datetime, error: str, kind: str, *, count: bool = True
    ) -> None:
        values: dict[str, object] = {"next_attempt_at": at, "last_error": error, "error_kind": kind}
        if count:
            values["attempts"] = OutboxRow.attempts + 1
        self.session.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(values))

    def needs_attention(
        self, item_id: int, error: str, kind: str, *, payload: Mapping[str, Any] | None = None
    ) -> None:
        """Hold the row for a person; `payload`, when given, is what is left to send (a
        conflicting update whose comment already went out)."""
        values: dict[str, object] = {
            "status": OutboxStatus.ATTENTION.value,
            "last_error": error,
            "error_kind": kind,
        }
        if payload is not None:
            values["payload"] = dict(payload)
        self.session.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(values))

    def set_payload(self, item_id: int, payload: Mapping[str, Any]) -> None:
        """What is left to send, after part of a write went out (its comment, its notes)."""
        self.session.execute(
            update(OutboxRow).where(OutboxRow.id == item_id).values(payload=dict(payload))
        )

    def release(self, item_id: int, *, payload: Mapping[str, Any] | None = None) -> bool:
        """An operator sends a row waiting for attention again (after fixing the cause, or
        deciding a conflict: `payload` then records what they confirmed)."""
        values: dict[str, object] = {"status": OutboxStatus.PENDING.value, "next_attempt_at": None}
        if payload is not None:
            values["payload"] = dict(payload)
        result = self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id, OutboxRow.status == OutboxStatus.ATTENTION.value)
            .values(values)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def drop(self, item_id: int) -> bool:
        """An operator decided a row waiting for attention is not to be sent: it is kept,
        marked dropped, and no longer holds the rows queued behind it."""
        result = self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id, OutboxRow.status == OutboxStatus.ATTENTION.value)
            .values(status=OutboxStatus.DROPPED.value, next_attempt_at=None)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def get(self, item_id: int) -> OutboxItem | None:
        row = self.session.get(OutboxRow, item_id)
        return _item(row) if row is not None else None

    def by_ids(self, item_ids: Collection[int]) -> list[OutboxItem]:
        if not item_ids:
            return []
        rows = self.session.scalars(
            select(OutboxRow).where(OutboxRow.id.in_(sorted(item_ids))).order_by(OutboxRow.id)
        )
        return [_item(row) for row in rows]

    def waiting(self) -> list[OutboxItem]:
        """Everything not yet delivered nor dropped (pending, retrying, needs attention),
        oldest first."""
        rows = self.session.scalars(
            select(OutboxRow).where(OutboxRow.status.not_in(_SETTLED)).order_by(OutboxRow.id)
        )
        return [_item(row) for row in rows]

    def pending_count(self) -> int:
        query = select(func.count()).where(and_(OutboxRow.status.not_in(_SETTLED)))
        return int(self.session.scalar(query) or 0)

    def for_incident(self, incident_id: int) -> list[OutboxItem]:
        rows = self.session.scalars(
            select(OutboxRow).where(OutboxRow.incident_id == incident_id).order_by(OutboxRow.id)
        )
        return [_item(row) for row in rows]


def _link(row: TicketRow) -> TicketLink:
    return TicketLink(
        incident_id=row.incident_id,
        system=row.system,
        idempotency_key=row.idempotency_key,
        remote_id=row.remote_id,
        key=row.key,
        url=row.url,
        state=row.state,
        assignee=row.assignee,
        priority=row.priority,
        remote_updated_at=row.remote_updated_at,
    )


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        incident_id=row.incident_id,
        system=row.system,
        op=OutboxOp(row.op),
        payload=row.payload,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        attempted_at=row.attempted_at,
        attempt_mark=row.attempt_mark,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        error_kind=row.error_kind,
    )
