"""Incidents and their timelines in and out of storage, with optimistic version checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Text, and_, bindparam, cast, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.domain.incident import (
    ACTIVE_STATES,
    EscalationTier,
    EventKind,
    Incident,
    IncidentState,
    TimelineEvent,
)
from app.domain.severity import Severity
from app.store.errors import IncidentConflict, IncidentNotFound
from app.store.metric_columns import metric_values
from app.store.metric_totals import record
from app.store.tables import EVENTS, INCIDENTS, EventRow, IncidentRow
from app.store.types import to_millis

_ACTIVE = [state.value for state in ACTIVE_STATES]
_CHUNK = 500  # ids per IN (...) so SQLite's variable limit is never reached


class IncidentRepository:
    """Reads and writes incidents within the caller's session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ writes

    def add(self, incident: Incident, now: datetime) -> Incident:
        """Store a new incident and its timeline; returns it with its id and version."""
        return self.add_many([incident], now)[0]

    def add_many(self, incidents: Sequence[Incident], now: datetime) -> list[Incident]:
        """Store new incidents: one cached INSERT per incident, their events in one batch.

        Statements go through the Core table with bound parameters, so SQLAlchemy compiles
        them once; the ORM entity path recompiled per row and took most of a storm's poll.
        """
        connection = self.session.connection()
        stored: list[Incident] = []
        events: list[dict[str, Any]] = []
        for incident in incidents:
            values = _columns(incident, self._earlier_detected(incident))
            values["updated_at"] = now
            values["version"] = 1
            row_id = connection.execute(_INSERT_INCIDENT, values).scalar_one()
            events.extend(_event_rows(row_id, incident.timeline))
            stored.append(replace(incident, id=row_id, version=1))
            record(self.session, incident, values, 1)
        if events:
            connection.execute(_INSERT_EVENT, events)
        return stored

    def save(self, before: Incident, after: Incident, now: datetime) -> Incident:
        """Write `after` over `before` if nobody changed it meanwhile; append the new events.

        Raises IncidentConflict (with the stored incident) when the stored version moved.
        """
        if before.id is None or before.id != after.id:
            raise ValueError("save() needs the stored incident and its changed snapshot")
        known = len(before.timeline)
        # checked before the UPDATE, so a refused save leaves nothing behind in the session
        if after.timeline[:known] != before.timeline:
            raise ValueError("a saved incident may only append to its timeline")
        earlier = self._earlier_detected(after)
        values = _columns(after, earlier)
        values.pop("uid")
        values["updated_at"] = now
        values["version"] = before.version + 1
        values["b_id"] = before.id
        values["b_version"] = before.version
        result = self.session.connection().execute(_UPDATE_INCIDENT, values)
        if result.rowcount != 1:
            current = self.find(before.id)
            if current is None:
                raise IncidentNotFound(f"{before.key} no longer exists")
            last = current.timeline[-1] if current.timeline else None
            who = f" ({last.actor} {last.kind.value.replace('_', ' ')} it)" if last else ""
            raise IncidentConflict(
                f"{before.key} was changed by someone else{who}; it has been reloaded, "
                "please check it and try again",
                current,
            )
        self._add_events(before.id, after.timeline[known:])
        # the version matched, so `before` is what the row held: out with it, in with `after`
        if before.recurrence_of != after.recurrence_of:
            earlier = self._earlier_detected(before)
        record(self.session, before, metric_values(before, earlier), -1)
        record(self.session, after, values, 1)
        return replace(after, version=before.version + 1)

    def _earlier_detected(self, incident: Incident) -> datetime | None:
        """When the incident it is `recurrence_of` was detected (its recurrence depends
        on it), or None if it names none or that one is not stored."""
        if incident.recurrence_of is None:
            return None
        query = select(INCIDENTS.c.detected_at).where(INCIDENTS.c.id == incident.recurrence_of)
        found: datetime | None = self.session.execute(query).scalar_one_or_none()
        return found

    def _add_events(self, incident_id: int, events: Iterable[TimelineEvent]) -> None:
        rows = _event_rows(incident_id, events)
        if rows:
            self.session.connection().execute(_INSERT_EVENT, rows)

    # ------------------------------------------------------------------ reads

    def get(self, incident_id: int) -> Incident:
        incident = self.find(incident_id)
        if incident is None:
            raise IncidentNotFound(f"no incident INC-{incident_id:06d}")
        return incident

    def find(self, incident_id: int) -> Incident | None:
        found = self.by_ids([incident_id])
        return found[0] if found else None

    def by_ids(self, ids: Iterable[int]) -> list[Incident]:
        wanted = list(dict.fromkeys(ids))
        rows: list[Row[Any]] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows.extend(self.session.execute(select(INCIDENTS).where(IncidentRow.id.in_(chunk))))
        return self._hydrate(rows)

    def ids_by_uid(self, uids: Iterable[str]) -> dict[str, int]:
        """The storage id of each of these uids that is stored (reads two columns only)."""
        wanted = list(dict.fromkeys(uids))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(INCIDENTS.c.uid, INCIDENTS.c.id).where(INCIDENTS.c.uid.in_(chunk))
            found.update((uid, incident_id) for uid, incident_id in self.session.execute(query))
        return found

    def active_for_customers(self, customers: Iterable[str | None]) -> list[Incident]:
        """Every active incident of these customers (None: alerts that named no customer)."""
        wanted = set(customers)
        named = [c for c in wanted if c is not None]
        conditions = []
        if named:
            conditions.append(IncidentRow.customer.in_(named))
        if None in wanted:
            conditions.append(IncidentRow.customer.is_(None))
        if not conditions:
            return []
        query = (
            select(INCIDENTS)
            .where(IncidentRow.state.in_(_ACTIVE))
            .where(or_(*conditions))
            .order_by(IncidentRow.id)
        )
        return self._hydrate(list(self.session.execute(query)))

    def escalation_candidates(self, severities: Iterable[Severity]) -> list[Incident]:
        """Active incidents that a tier timer may move: not waiting, not at the top tier."""
        wanted = [severity.value for severity in severities]
        if not wanted:
            return []
        query = (
            select(INCIDENTS)
            .where(IncidentRow.state.in_(_ACTIVE))
            .where(IncidentRow.severity.in_(wanted))
            .where(IncidentRow.paused_since.is_(None))
            .where(IncidentRow.tier != EscalationTier.ENG.value)
            .order_by(IncidentRow.id)
        )
        return self._hydrate(list(self.session.execute(query)))

    def flapping_for_source(self, source: str) -> list[Incident]:
        """Active incidents held open by a flapping alert that this source reported."""
        query = (
            select(INCIDENTS)
            .where(IncidentRow.state.in_(_ACTIVE))
            .where(cast(IncidentRow.flags, Text).like('%"flapping"%'))
            .order_by(IncidentRow.id)
        )
        found = self._hydrate(list(self.session.execute(query)))
        return [incident for incident in found if source in incident.sources]

    def wall_versions(self, now: datetime, watch_window: timedelta) -> dict[int, int]:
        """id -> version of every incident the wall shows: active, or resolved within the window."""
        since = to_millis(now - watch_window)
        query = select(IncidentRow.id, IncidentRow.version).where(
            or_(
                IncidentRow.state.in_(_ACTIVE),
                and_(
                    IncidentRow.state == IncidentState.RESOLVED.value,
                    IncidentRow.resolved_at >= since,
                ),
            )
        )
        return {int(row.id): int(row.version) for row in self.session.execute(query)}

    def listing(self, *, include_closed: bool, limit: int | None = None) -> list[Incident]:
        query = select(INCIDENTS)
        if not include_closed:
            query = query.where(
                IncidentRow.state.notin_(
                    [IncidentState.CLOSED.value, IncidentState.FALSE_POSITIVE.value]
                )
            )
        query = query.order_by(IncidentRow.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return self._hydrate(list(self.session.execute(query)))

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(IncidentRow)).scalar_one())

    def _hydrate(self, rows: Sequence[Row[Any]]) -> list[Incident]:
        if not rows:
            return []
        ids = [row.id for row in rows]
        events: dict[int, list[TimelineEvent]] = {incident_id: [] for incident_id in ids}
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(EVENTS)
                .where(EventRow.incident_id.in_(ids[start : start + _CHUNK]))
                .order_by(EventRow.incident_id, EventRow.id)
            )
            for event in self.session.execute(query):
                events[event.incident_id].append(
                    TimelineEvent(
                        at=event.at,
                        kind=EventKind(event.kind),
                        actor=event.actor,
                        note=event.note,
                        data=event.data or {},
                    )
                )
        return [_incident(row, tuple(events[row.id])) for row in rows]


_INSERT_INCIDENT = insert(INCIDENTS).returning(INCIDENTS.c.id)
_INSERT_EVENT = insert(EVENTS)
_UPDATE_INCIDENT = (
    update(INCIDENTS)
    .where(INCIDENTS.c.id == bindparam("b_id"), INCIDENTS.c.version == bindparam("b_version"))
    .values({c.name: bindparam(c.name) for c in INCIDENTS.c if c.name not in ("id", "uid")})
)


def _event_rows(incident_id: int, events: Iterable[TimelineEvent]) -> list[dict[str, Any]]:
    return [
        {
            "incident_id": incident_id,
            "at": event.at,
            "kind": event.kind.value,
            "actor": event.actor,
            "note": event.note,
            "data": dict(event.data),
        }
        for event in events
    ]


def _columns(incident: Incident, earlier_detected: datetime | None) -> dict[str, Any]:
    return {
        "uid": incident.uid,
        "title": incident.title,
        "customer": incident.customer,
        "services": list(incident.services),
        "root_service": incident.root_service,
        "severity": incident.severity.value,
        "state": incident.state.value,
        "tier": incident.tier.value,
        "owner": incident.owner,
        "flags": sorted(incident.flags),
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "response_due": incident.response_due,
        "resolve_due": incident.resolve_due,
        "alert_count": incident.alert_count,
        "sources": list(incident.sources),
        "ticket": incident.ticket,
        "rca": incident.rca,
        "group_key": incident.group_key,
        "recurrence_of": incident.recurrence_of,
        "team": incident.team,
        "known_issue": incident.known_issue,
        "paused_since": incident.paused_since,
        "update_due": incident.update_due,
        **metric_values(incident, earlier_detected),
    }


def _incident(row: Row[Any], timeline: tuple[TimelineEvent, ...]) -> Incident:
    """Rows are read through the Core table to skip the ORM's per-row identity bookkeeping."""
    return Incident(
        id=row.id,
        uid=row.uid,
        title=row.title,
        customer=row.customer,
        services=tuple(row.services or ()),
        root_service=row.root_service,
        severity=Severity(row.severity),
        state=IncidentState(row.state),
        tier=EscalationTier(row.tier),
        owner=row.owner,
        flags=frozenset(row.flags or ()),
        started_at=row.started_at,
        detected_at=row.detected_at,
        acknowledged_at=row.acknowledged_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        response_due=row.response_due,
        resolve_due=row.resolve_due,
        alert_count=row.alert_count,
        sources=tuple(row.sources or ()),
        ticket=row.ticket,
        rca=row.rca,
        group_key=row.group_key,
        recurrence_of=row.recurrence_of,
        timeline=timeline,
        version=row.version,
        team=row.team,
        known_issue=row.known_issue,
        paused_since=row.paused_since,
        update_due=row.update_due,
    )
