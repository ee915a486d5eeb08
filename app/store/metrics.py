"""The rows the metrics read: one line of timestamps per incident detected in a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.domain.incident import EventKind, IncidentState
from app.domain.metrics import IncidentTimes
from app.store.tables import EventRow, IncidentRow


def incident_times(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    customer: str | None = None,
    severity: str | None = None,
) -> list[IncidentTimes]:
    reopened = exists().where(
        EventRow.incident_id == IncidentRow.id, EventRow.kind == EventKind.REOPENED.value
    )
    query = select(
        IncidentRow.state,
        IncidentRow.started_at,
        IncidentRow.detected_at,
        IncidentRow.acknowledged_at,
        IncidentRow.resolved_at,
        IncidentRow.response_due,
        IncidentRow.resolve_due,
        (IncidentRow.recurrence_of.is_not(None) | reopened).label("recurred"),
    ).where(IncidentRow.detected_at >= start, IncidentRow.detected_at < end)
    if customer:
        query = query.where(IncidentRow.customer == customer)
    if severity:
        query = query.where(IncidentRow.severity == severity)
    return [
        IncidentTimes(
            state=IncidentState(row.state),
            started_at=row.started_at,
            detected_at=row.detected_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
            response_due=row.response_due,
            resolve_due=row.resolve_due,
            recurred=bool(row.recurred),
        )
        for row in session.execute(query)
    ]
