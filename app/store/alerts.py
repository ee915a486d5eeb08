"""Alert occurrences in storage: bulk upserts through SQLAlchemy Core, never the ORM unit of work.

An alert storm is tens of thousands of rows per poll; the ORM's per-object bookkeeping
costs about 7x the raw SQLite floor there, a Core executemany about 1.6x (PERF.md 1.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

import orjson
from sqlalchemy import Text, and_, cast, func, or_, select, text, update
from sqlalchemy.orm import Session

from app.domain.alert import Alert, AlertStatus
from app.domain.severity import Severity
from app.store.tables import ALERTS, AlertRow
from app.store.types import to_millis

_FIRING_ONLY = text("status = 'firing'")
_CHUNK = 500
# fingerprints per look-up of earlier occurrences: a storm asks about 10k at once, and
# each round trip costs more than its parameters (SQLite allows 32,766 since 3.32)
_FINGERPRINT_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """What the engine needs to know of a firing alert already stored (no texts: a digest)."""

    id: int
    fingerprint: str
    incident_id: int | None
    starts_at: datetime
    digest: str
    severity: str
    suppressed_by: tuple[str, ...]
    flapping: bool


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One earlier occurrence of an alert: when it fired and cleared, and which incident held it."""

    fingerprint: str
    incident_id: int | None
    first_seen: datetime
    ends_at: datetime | None


def alert_row(
    alert: Alert,
    incident_id: int | None,
    severity: Severity,
    now: datetime,
    *,
    reason: str = "",
    flapping: bool = False,
    urgent: bool = False,
    suppressed_by: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The insert values of one firing occurrence.

    `suppressed_by` is the full list of reasons (the source's and the console's own, such
    as maintenance); the digest stays the source's, so an unchanged alert is still unchanged.
    """
    return {
        "source": alert.source,
        "fingerprint": alert.fingerprint,
        "incident_id": incident_id,
        "status": AlertStatus.FIRING.value,
        "alertname": alert.alertname,
        "customer": alert.customer,
        "service": alert.service,
        "severity": severity.value,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "suppressed_by": list(alert.suppressed_by if suppressed_by is None else suppressed_by),
        "digest": alert.content_digest(),
        "reason": reason,
        "flapping": flapping,
        "urgent": urgent,
        "generator_url": alert.generator_url,
        "starts_at": alert.starts_at,
        "ends_at": None,
        "first_seen": now,
        "last_seen": now,
    }


class AlertRepository:
    """Reads and writes alert occurrences within the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def open_for_source(self, source: str) -> dict[str, OpenAlert]:
        """The source's firing alerts, read through Core: a storm's 10k rows without ORM objects."""
        c = ALERTS.c
        query = select(
            c.id,
            c.fingerprint,
            c.incident_id,
            c.starts_at,
            c.digest,
            c.severity,
            # as text: nearly every alert has no reasons, and "[]" needs no JSON parser
            cast(c.suppressed_by, Text),
            c.flapping,
        ).where(c.source == source, _FIRING_ONLY)  # a literal: the partial index applies
        rows = self.session.connection().execute(query)
        return {
            fp: OpenAlert(
                row_id, fp, incident, starts, digest, severity, _reasons(suppressed), bool(flap)
            )
            for row_id, fp, incident, starts, digest, severity, suppressed, flap in rows
        }

    def latest_occurrences(self, source: str, fingerprints: Iterable[str]) -> dict[str, Occurrence]:
        """Each fingerprint's newest cleared occurrence: where a recurrence goes back to."""
        wanted = list(set(fingerprints))
        c = ALERTS.c
        found: dict[str, Occurrence] = {}
        for start in range(0, len(wanted), _FINGERPRINT_CHUNK):
            newest = (
                select(func.max(c.id))
                .where(
                    c.source == source,
                    c.fingerprint.in_(wanted[start : start + _FINGERPRINT_CHUNK]),
                )
                .where(c.status == AlertStatus.RESOLVED.value)
                .group_by(c.fingerprint)
            )
            query = select(c.fingerprint, c.incident_id, c.first_seen, c.ends_at).where(
                c.id.in_(newest.scalar_subquery())
            )
            for fp, incident_id, first_seen, ends_at in self.session.connection().execute(query):
                found[fp] = Occurrence(fp, incident_id, first_seen, ends_at)
        return found

    def state_changes(
        self, source: str, fingerprints: Iterable[str], since: datetime
    ) -> dict[str, int]:
        """How often each alert fired or cleared since `since` (each occurrence counts once
        for firing inside the span and once for clearing inside it)."""
        wanted = list(set(fingerprints))
        c = ALERTS.c
        changes: dict[str, int] = {}
        for start in range(0, len(wanted), _FINGERPRINT_CHUNK):
            query = select(c.fingerprint, c.first_seen, c.ends_at).where(
                c.source == source,
                c.fingerprint.in_(wanted[start : start + _FINGERPRINT_CHUNK]),
                or_(c.first_seen >= since, c.ends_at >= since),
            )
            for fp, first_seen, ends_at in self.session.connection().execute(query):
                changes[fp] = changes.get(fp, 0) + _changes_since(first_seen, ends_at, since)
        return changes

    def incident_state_changes(
        self, incident_ids: Iterable[int], since: datetime
    ) -> dict[int, int]:
        """The busiest alert's state changes since `since`, per incident (is it still flapping?)."""
        ids = list(set(incident_ids))
        c = ALERTS.c
        per_alert: dict[tuple[int, str, str], int] = {}
        for start in range(0, len(ids), _CHUNK):
            query = select(c.incident_id, c.source, c.fingerprint, c.first_seen, c.ends_at).where(
                c.incident_id.in_(ids[start : start + _CHUNK]),
                or_(c.first_seen >= since, and_(c.ends_at.is_not(None), c.ends_at >= since)),
            )
            for incident_id, source, fp, first_seen, ends_at in self.session.execute(query):
                key = (incident_id, source, fp)
                per_alert[key] = per_alert.get(key, 0) + _changes_since(first_seen, ends_at, since)
        busiest: dict[int, int] = dict.fromkeys(ids, 0)
        for (incident_id, _, _), count in per_alert.items():
            busiest[incident_id] = max(busiest[incident_id], count)
        return busiest

    def upsert_firing(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert new firing occurrences, or refresh the open one of the same fingerprint.

        A refresh (the alert's digest changed) rewrites annotations, suppression and
        `last_seen` and keeps the earliest start: a
        re-pushed alert is the same occurrence (RELIABILITY.md, pollers 5).
        """
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        # imported by name when first used: the PostgreSQL dialect pulls asyncio and asyncpg
        # glue, a tenth of a second of every SQLite user's start
        insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
        # the Core table, not the ORM entity: the ORM's bulk path costs several times more
        statement = insert(ALERTS)
        statement = statement.on_conflict_do_update(
            index_elements=[AlertRow.source, AlertRow.fingerprint],
            index_where=_FIRING_ONLY,
            set_={
                "annotations": statement.excluded.annotations,
                "suppressed_by": statement.excluded.suppressed_by,
                # an alert never leaves its incident; a suppressed one may gain one
                "incident_id": func.coalesce(AlertRow.incident_id, statement.excluded.incident_id),
                "severity": statement.excluded.severity,
                "labels": statement.excluded.labels,
                "reason": func.coalesce(
                    func.nullif(statement.excluded.reason, ""), AlertRow.reason
                ),
                "flapping": or_(AlertRow.flapping, statement.excluded.flapping),
                "urgent": statement.excluded.urgent,
                "digest": statement.excluded.digest,
                "generator_url": statement.excluded.generator_url,
                "last_seen": statement.excluded.last_seen,
                "starts_at": func.min(AlertRow.starts_at, statement.excluded.starts_at)
                if dialect == "sqlite"
                else func.least(AlertRow.starts_at, statement.excluded.starts_at),
            },
        )
        if dialect == "sqlite":
            _execute_prepared(self.session.connection(), statement, rows)
        else:
            self.session.connection().execute(statement, list(rows))

    def resolve(self, alert_ids: Iterable[int], ends_at: datetime) -> int:
        ids = list(alert_ids)
        count = 0
        for start in range(0, len(ids), _CHUNK):
            result = self.session.execute(
                update(AlertRow)
                .where(AlertRow.id.in_(ids[start : start + _CHUNK]))
                .where(AlertRow.status == AlertStatus.FIRING.value)
                .values(status=AlertStatus.RESOLVED.value, ends_at=ends_at)
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount  # type: ignore[attr-defined]
        return count

    def firing_counts(self, incident_ids: Iterable[int]) -> dict[int, int]:
        ids = list(set(incident_ids))
        counts: dict[int, int] = dict.fromkeys(ids, 0)
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(AlertRow.incident_id, func.count())
                .where(AlertRow.incident_id.in_(ids[start : start + _CHUNK]))
                .where(AlertRow.status == AlertStatus.FIRING.value)
                .group_by(AlertRow.incident_id)
            )
            for incident_id, n in self.session.execute(query):
                if incident_id is not None:  # IN (...) never matches NULL; this narrows the type
                    counts[incident_id] = int(n)
        return counts

    def for_incident(self, incident_id: int, limit: int = 1000) -> list[Alert]:
        query = (
            select(ALERTS)
            .where(AlertRow.incident_id == incident_id)
            .order_by(AlertRow.status, AlertRow.starts_at, AlertRow.id)
            .limit(limit)
        )
        return [_alert(row) for row in self.session.execute(query)]

    def for_incidents(
        self, incident_ids: Iterable[int], limit: int = 1000
    ) -> dict[int, list[Alert]]:
        """`for_incident` of many incidents in a query per chunk (at most `limit` each);
        an incident without alerts maps to an empty list."""
        ids = sorted(set(incident_ids))
        found: dict[int, list[Alert]] = {incident_id: [] for incident_id in ids}
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(ALERTS)
                .where(AlertRow.incident_id.in_(ids[start : start + _CHUNK]))
                .order_by(AlertRow.incident_id, AlertRow.status, AlertRow.starts_at, AlertRow.id)
            )
            for row in self.session.execute(query):
                alerts = found[row.incident_id]
                if len(alerts) < limit:
                    alerts.append(_alert(row))
        return found

    def urgent_services(self, incident_ids: Iterable[int]) -> dict[int, frozenset[str]]:
        """Services with a firing critical alert, per incident: what counts as failing."""
        ids = list(set(incident_ids))
        c = ALERTS.c
        found: dict[int, set[str]] = {}
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(c.incident_id, c.service)
                .where(c.incident_id.in_(ids[start : start + _CHUNK]))
                .where(c.status == AlertStatus.FIRING.value, c.urgent.is_(True))
                .where(c.service.is_not(None))
                .distinct()
            )
            for incident_id, service in self.session.connection().execute(query):
                found.setdefault(incident_id, set()).add(service)
        return {incident_id: frozenset(services) for incident_id, services in found.items()}

    def suppressed(self, limit: int = 5000) -> list[tuple[Alert, Severity]]:
        """Firing alerts held out of every incident, with why: visible, never dropped."""
        query = (
            select(ALERTS)
            .where(AlertRow.status == AlertStatus.FIRING.value, AlertRow.incident_id.is_(None))
            .order_by(AlertRow.customer, AlertRow.service, AlertRow.starts_at, AlertRow.id)
            .limit(limit)
        )
        return [(_alert(row), Severity(row.severity)) for row in self.session.execute(query)]

    def firing_total(self) -> int:
        query = (
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.status == AlertStatus.FIRING.value)
        )
        return int(self.session.execute(query).scalar_one())


def _reasons(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(str(reason) for reason in orjson.loads(text))


def _changes_since(first_seen: datetime, ends_at: datetime | None, since: datetime) -> int:
    return int(first_seen >= since) + int(ends_at is not None and ends_at >= since)


def _alert(row: Any) -> Alert:
    return Alert(
        source=row.source,
        fingerprint=row.fingerprint,
        labels=row.labels or {},
        annotations=row.annotations or {},
        suppressed_by=tuple(row.suppressed_by or ()),
        status=AlertStatus(row.status),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        received_at=row.first_seen,
        generator_url=row.generator_url,
        reason=row.reason or "",
        flapping=bool(row.flapping),
    )


_JSON_COLUMNS = frozenset({"labels", "annotations", "suppressed_by"})
_INSTANT_COLUMNS = frozenset({"starts_at", "ends_at", "first_seen", "last_seen"})


def _driver_value(column: str, value: Any) -> Any:
    """A value as the SQLite driver takes it: what the column types would bind, done here."""
    if value is None:
        return None
    if column in _JSON_COLUMNS:
        return orjson.dumps(value).decode()
    if column in _INSTANT_COLUMNS:
        return to_millis(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _execute_prepared(connection: Any, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    """executemany on the driver with values already in its types.

    SQLAlchemy's per-row parameter processing cost about as much as SQLite's own work on a
    100k-row storm (PERF.md: the floor is a raw executemany); the statement is still
    SQLAlchemy's, compiled once per batch, so the SQL cannot drift from the Core path.
    """
    keys = list(rows[0])
    compiled = statement.compile(dialect=connection.dialect, column_keys=keys)
    order = compiled.positiontup
    fixed = compiled.params  # the statement's own literals (the '' in NULLIF(reason, ''))
    if order is None:  # a dialect with named parameters: hand it dicts
        connection.exec_driver_sql(
            compiled.string,
            [{**fixed, **{k: _driver_value(k, row[k]) for k in keys}} for row in rows],
        )
        return
    constants = {k: fixed[k] for k in order if k not in rows[0]}
    connection.exec_driver_sql(
        compiled.string,
        [
            tuple(constants[k] if k in constants else _driver_value(k, row[k]) for k in order)
            for row in rows
        ],
    )
