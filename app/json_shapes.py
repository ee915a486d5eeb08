"""The JSON shapes promised in FORMATS.md (incidents, polls, sources), in one place.

Scripts parse these; extend them, never rename or drop a field.
"""

from __future__ import annotations

from typing import Any

from app.domain.changes import ChangeSet
from app.domain.health import SourceHealth
from app.domain.incident import Incident, TimelineEvent
from app.domain.timestamps import iso_z
from app.engine.sla_clock import ClockReading


def incident_json(incident: Incident, sla: ClockReading | None = None) -> dict[str, Any]:
    """An incident as `incidents --json` and exports print it; `sla` adds its clock's state."""
    document = {
        "key": incident.key,
        "uid": incident.uid,
        "title": incident.title,
        "customer": incident.customer,
        "services": list(incident.services),
        "root_service": incident.root_service,
        "severity": incident.severity.value,
        "state": incident.state.value,
        "tier": incident.tier.value,
        "owner": incident.owner,
        "team": incident.team,
        "flags": sorted(incident.flags),
        "known_issue": incident.known_issue,
        "started_at": iso_z(incident.started_at),
        "detected_at": iso_z(incident.detected_at),
        "acknowledged_at": iso_z(incident.acknowledged_at),
        "resolved_at": iso_z(incident.resolved_at),
        "closed_at": iso_z(incident.closed_at),
        "response_due": iso_z(incident.response_due),
        "resolve_due": iso_z(incident.resolve_due),
        "alert_count": incident.alert_count,
        "sources": list(incident.sources),
        "ticket": incident.ticket,
        "rca": incident.rca,
        "recurrence_of": f"INC-{incident.recurrence_of:06d}" if incident.recurrence_of else None,
        "paused_since": iso_z(incident.paused_since),
        "update_due": iso_z(incident.update_due),
    }
    if sla is not None:
        document["sla_state"] = sla.state.value
    return document


def event_json(event: TimelineEvent) -> dict[str, Any]:
    return {
        "at": iso_z(event.at),
        "kind": event.kind.value,
        "actor": event.actor,
        "note": event.note,
        "data": dict(event.data),
    }


def source_json(health: SourceHealth) -> dict[str, Any]:
    return {
        "name": health.name,
        "kind": health.kind,
        "ok": health.ok,
        "status": health.status.value,
        "error": health.error,
        "error_class": health.error_class,
        "alerts": health.alert_count,
        "last_attempt": iso_z(health.last_attempt),
        "last_success": iso_z(health.last_success),
        "stale_since": iso_z(health.stale_since),
        "failures": health.failures,
        "circuit": health.circuit,
        "next_attempt": iso_z(health.next_attempt),
        "retry_after_until": iso_z(health.retry_after_until),
        "details": dict(health.details),
    }


def poll_json(changes: ChangeSet) -> dict[str, Any]:
    return {
        "alerts": changes.alerts,
        "opened": changes.opened,
        "updated": changes.updated,
        "resolved": changes.resolved,
        "at": iso_z(changes.at),
        "sources": [source_json(health) for health in changes.sources],
    }
