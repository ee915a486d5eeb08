"""The storage half of a poll: a source's snapshot through the engine into the store, and health.

Kept out of the facade so that the facade reads as the list of what the console does;
everything here runs inside one write transaction the facade opens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.catalog import Catalog
from app.domain.health import SourceHealth, SourceStatus
from app.domain.policy import Policies
from app.engine.grouping import KnownAlert, PreviousIncident, group_key, plan_ingest
from app.polling import PollSchedule
from app.sources.base import RateLimited, Snapshot, Source, SourceError
from app.store.alerts import AlertRepository, alert_row
from app.store.incidents import IncidentRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One source's poll: a snapshot, or the error that stopped it."""

    source: Source
    snapshot: Snapshot | None
    error: SourceError | None = None


def fetch(source: Source, now: datetime) -> FetchResult:
    """The I/O half of a poll: no storage, safe to run on a source's own thread."""
    try:
        return FetchResult(source, source.fetch(now))
    except SourceError as error:
        log.warning("source %s failed (%s): %s", source.name, error.kind, error)
        return FetchResult(source, None, error)
    except Exception as error:  # a parser bug must not stop the other sources
        log.exception("source %s crashed", source.name)
        failure = SourceError(f"internal error while polling: {type(error).__name__}: {error}")
        return FetchResult(source, None, failure)


def apply_snapshot(
    session: Session, snapshot: Snapshot, catalog: Catalog, policies: Policies, now: datetime
) -> tuple[int, int, int]:
    """Store one snapshot through the engine: (incidents opened, changed, resolved)."""
    alerts_repo = AlertRepository(session)
    incidents_repo = IncidentRepository(session)
    stored = alerts_repo.open_for_source(snapshot.source)
    known = {
        fp: KnownAlert(a.id, fp, a.incident_id, a.starts_at, a.digest) for fp, a in stored.items()
    }
    new_keys = {group_key(a) for a in snapshot.alerts if a.fingerprint not in known}
    active = incidents_repo.active_by_group(new_keys)
    reported = {a.fingerprint for a in snapshot.alerts}
    losing = {
        a.incident_id
        for fp, a in stored.items()
        if fp not in reported and a.incident_id is not None
    }
    by_id = {i.id: i for i in incidents_repo.by_ids(losing) if i.id is not None}
    previous = {
        key: PreviousIncident(prev_id, detected_at)
        for key, (prev_id, detected_at) in incidents_repo.latest_by_group(
            new_keys - set(active)
        ).items()
    }
    plan = plan_ingest(
        source=snapshot.source,
        alerts=snapshot.alerts,
        complete=snapshot.complete,
        known=known,
        active_by_group=active,
        incidents_by_id=by_id,
        firing_counts=alerts_repo.firing_counts(losing),
        previous_by_group=previous,
        catalog=catalog,
        policies=policies,
        now=now,
    )
    rows: list[dict[str, object]] = []
    opened = incidents_repo.add_many([incident for incident, _ in plan.new_incidents], now)
    for stored_incident, (_, group) in zip(opened, plan.new_incidents, strict=True):
        rows.extend(
            alert_row(a, stored_incident.id, plan.alert_severity[a.fingerprint], now) for a in group
        )
    for incident_id, group in plan.attachments.items():
        rows.extend(
            alert_row(a, incident_id, plan.alert_severity[a.fingerprint], now) for a in group
        )
    rows.extend(
        alert_row(a, stored[a.fingerprint].incident_id, plan.alert_severity[a.fingerprint], now)
        for a in plan.refreshed
    )
    alerts_repo.resolve(plan.resolved_alert_ids, now)
    alerts_repo.upsert_firing(rows)
    for before, after in plan.changed.values():
        incidents_repo.save(before, after, now)
    return len(plan.new_incidents), len(plan.changed), plan.resolved_incidents


def health_after(
    previous: SourceHealth, result: FetchResult, schedule: PollSchedule, now: datetime
) -> SourceHealth:
    """A source's health after a poll: what happened, since when it is blind, what comes next."""
    if result.snapshot is not None:
        snapshot = result.snapshot
        clean = snapshot.complete and not snapshot.warning
        health = SourceHealth(
            name=previous.name,
            kind=result.source.kind,
            status=SourceStatus.OK if clean else SourceStatus.DEGRADED,
            error=snapshot.warning,
            error_class=None if clean else "partial",
            last_attempt=now,
            last_success=now,
            alert_count=len(snapshot.alerts),
            stale_since=None,
            details=snapshot.details,
        )
    else:
        error = result.error
        assert error is not None
        health = replace(
            previous,
            kind=result.source.kind,
            status=SourceStatus.RATE_LIMITED
            if isinstance(error, RateLimited)
            else SourceStatus.DOWN,
            error=str(error) or type(error).__name__,
            error_class=error.kind,
            last_attempt=now,
            stale_since=previous.stale_since or previous.last_success or now,
        )
    return replace(
        health,
        failures=schedule.failures,
        circuit=schedule.circuit.value,
        next_attempt=schedule.next_at,
        retry_after_until=schedule.retry_after_until,
    )
