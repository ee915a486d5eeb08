"""Builders of stored-looking domain objects, shared by the SQLite and PostgreSQL store tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from app.domain.alert import Alert, AlertStatus
from app.domain.incident import EscalationTier, Incident, IncidentState
from app.domain.severity import Severity

MS = timedelta(milliseconds=1)


def new_incident(
    now: datetime, *, group_key: str = "acme/db", title: str = "db01 down", customer: str = "acme"
) -> Incident:
    return Incident.detect(
        title=title,
        customer=customer,
        services=("db", "api"),
        severity=Severity.P2,
        started_at=now - timedelta(minutes=3),
        detected_at=now,
        group_key=group_key,
        policy=None,
        sources=("alertmanager",),
        alert_count=2,
        root_service="db",
        note="two alerts",
    )


def worked_incident(now: datetime, recurrence_of: int | None) -> Incident:
    """An incident with every column set, an odd millisecond in each instant and five events."""
    base = new_incident(now + 7 * MS)
    worked = (
        base.acknowledge("alice", now + timedelta(minutes=1, milliseconds=11), "on it")
        .log_ticket("OPS-42", "alice", now + timedelta(minutes=2, milliseconds=13))
        .escalate("alice", now + timedelta(minutes=3, milliseconds=17), "needs a DBA")
        .resolve("bob", now + timedelta(minutes=9, milliseconds=19), "failover done")
    )
    return replace(
        worked,
        flags=frozenset({"flapping", "stale"}),
        response_due=now + timedelta(minutes=15, milliseconds=23),
        resolve_due=now + timedelta(hours=4, milliseconds=29),
        closed_at=now + timedelta(hours=1, milliseconds=31),
        rca="disk full on db01",
        recurrence_of=recurrence_of,
        owner="bob",
        tier=EscalationTier.L2,
        state=IncidentState.RESOLVED,
        team="dba-team",
        known_issue="KI-12",
        paused_since=now + timedelta(minutes=4, milliseconds=37),
        update_due=now + timedelta(minutes=30, milliseconds=41),
    )


def alert(
    now: datetime,
    fingerprint: str = "f00d",
    *,
    source: str = "alertmanager",
    starts_at: datetime | None = None,
    summary: str = "db01 is down",
) -> Alert:
    return Alert(
        source=source,
        fingerprint=fingerprint,
        labels={"alertname": "HostDown", "customer": "acme", "service": "db"},
        annotations={"summary": summary},
        status=AlertStatus.FIRING,
        starts_at=starts_at or now - timedelta(minutes=5),
        ends_at=None,
        received_at=now,
        generator_url="https://prometheus.example/graph",
    )
