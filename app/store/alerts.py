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

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.domain.alert import Alert, AlertStatus
from app.domain.severity import Severity
from app.store.tables import ALERTS, AlertRow

_FIRING_ONLY = text("status = 'firing'")
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """What the engine needs to know of a firing alert already stored (no texts: a digest)."""

    id: int
    fingerprint: str
    incident_id: int | None
    starts_at: datetime
    digest: str


def alert_row(
    alert: Alert, incident_id: int | None, severity: Severity, now: datetime
) -> dict[str, Any]:
    """The insert values of one firing occurrence."""
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
        "suppressed_by": list(alert.suppressed_by),
        "digest": alert.content_digest(),
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
        query = select(c.id, c.fingerprint, c.incident_id, c.starts_at, c.digest).where(
            c.source == source, c.status == AlertStatus.FIRING.value
        )
        rows = self.session.connection().execute(query)
        return {
            fp: OpenAlert(row_id, fp, incident, starts, digest)
            for row_id, fp, incident, starts, digest in rows
        }

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
                "digest": statement.excluded.digest,
                "generator_url": statement.excluded.generator_url,
                "last_seen": statement.excluded.last_seen,
                "starts_at": func.min(AlertRow.starts_at, statement.excluded.starts_at)
                if dialect == "sqlite"
                else func.least(AlertRow.starts_at, statement.excluded.starts_at),
            },
        )
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
        return [
            Alert(
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
            )
            for row in self.session.execute(query)
        ]

    def firing_total(self) -> int:
        query = (
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.status == AlertStatus.FIRING.value)
        )
        return int(self.session.execute(query).scalar_one())
