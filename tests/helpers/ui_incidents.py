"""Incident snapshots for UI tests: stored-looking incidents with chosen deadlines and versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from app.domain.incident import Incident
from app.domain.severity import Severity


def incident(
    incident_id: int,
    detected_at: datetime,
    *,
    severity: Severity = Severity.P2,
    response_in: timedelta | None = timedelta(minutes=30),
    resolve_in: timedelta | None = timedelta(hours=4),
    title: str | None = None,
    customer: str = "acme",
    services: tuple[str, ...] = ("acme-api",),
    sources: tuple[str, ...] = ("demo",),
    version: int = 1,
) -> Incident:
    """A new incident as storage returns it: an id, a version and SLA deadlines from detection."""
    fresh = Incident.detect(
        title=title or f"incident {incident_id}",
        customer=customer,
        services=services,
        severity=severity,
        started_at=detected_at,
        detected_at=detected_at,
        group_key=f"group-{incident_id}",
        policy=None,
        sources=sources,
        alert_count=1,
    )
    return replace(
        fresh,
        id=incident_id,
        version=version,
        response_due=detected_at + response_in if response_in is not None else None,
        resolve_due=detected_at + resolve_in if resolve_in is not None else None,
    )


def bumped(snapshot: Incident, **changes: object) -> Incident:
    """The same incident one stored version later, with `changes` applied."""
    return replace(snapshot, version=snapshot.version + 1, **changes)  # type: ignore[arg-type]
