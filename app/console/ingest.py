"""The storage half of a poll: a source's snapshot through the engine into the store, and health.

Kept out of the facade so that the facade reads as the list of what the console does;
everything here runs inside one write transaction the facade opens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from app.console.ticket_updates import queue_ticket_writes
from app.domain.alert import Alert
from app.domain.catalog import Catalog
from app.domain.health import SourceHealth, SourceStatus
from app.domain.policy import Policies
from app.domain.severity import Severity
from app.engine.triage import (
    IngestPlan,
    KnownAlert,
    PriorOccurrence,
    Stored,
    plan_ingest,
    reads_for,
)
from app.polling import PollSchedule
from app.sources.base import RateLimited, Snapshot, Source, SourceError
from app.store.alerts import AlertRepository, alert_row
from app.store.incidents import IncidentRepository
from app.store.outbox import TicketRepository

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
    plan = plan_ingest(
        source=snapshot.source,
        alerts=snapshot.alerts,
        complete=snapshot.complete,
        stored=_gather(session, snapshot, catalog, policies, now),
        catalog=catalog,
        policies=policies,
        now=now,
    )
    _write(session, plan, now)
    return len(plan.new_incidents), len(plan.changed), plan.resolved_incidents


def _gather(
    session: Session, snapshot: Snapshot, catalog: Catalog, policies: Policies, now: datetime
) -> Stored:
    """Read what the engine needs, and only that: an unchanged snapshot reads one table."""
    alerts_repo = AlertRepository(session)
    incidents_repo = IncidentRepository(session)
    known = {
        fp: KnownAlert(
            a.id,
            fp,
            a.incident_id,
            a.starts_at,
            a.digest,
            Severity(a.severity),
            a.suppressed_by,
            a.flapping,
        )
        for fp, a in alerts_repo.open_for_source(snapshot.source).items()
    }
    reads = reads_for(
        alerts=snapshot.alerts,
        complete=snapshot.complete,
        known=known,
        catalog=catalog,
        policies=policies,
        now=now,
    )
    since = now - policies.flapping.window
    prior = {
        fp: PriorOccurrence(o.incident_id)
        for fp, o in alerts_repo.latest_occurrences(snapshot.source, reads.new_fingerprints).items()
    }
    changing = reads.new_fingerprints | reads.vanished_fingerprints
    flapping = incidents_repo.flapping_for_source(snapshot.source) if snapshot.complete else []
    incidents = {i.id: i for i in incidents_repo.active_for_customers(reads.customers)}
    incidents.update({i.id: i for i in flapping})
    wanted = (reads.incident_ids | {p.incident_id for p in prior.values()}) - incidents.keys()
    incidents.update({i.id: i for i in incidents_repo.by_ids(i for i in wanted if i is not None)})
    counted = reads.incident_ids | {i.id for i in flapping}
    active_ids = [i for i, incident in incidents.items() if i is not None and incident.state.active]
    return Stored(
        unchanged=reads.unchanged,
        urgent_services=alerts_repo.urgent_services(active_ids) if reads.customers else {},
        known=known,
        incidents={i: incident for i, incident in incidents.items() if i is not None},
        firing_counts=alerts_repo.firing_counts(i for i in counted if i is not None),
        prior=prior,
        state_changes=alerts_repo.state_changes(snapshot.source, changing, since)
        if changing
        else {},
        incident_changes=alerts_repo.incident_state_changes(
            (i.id for i in flapping if i.id is not None), since
        ),
    )


def _write(session: Session, plan: IngestPlan, now: datetime) -> None:
    alerts_repo = AlertRepository(session)
    incidents_repo = IncidentRepository(session)

    def row(alert: Alert, incident_id: int | None) -> dict[str, object]:
        fp = alert.fingerprint
        return alert_row(
            alert,
            incident_id,
            plan.alert_severity[fp],
            now,
            reason=plan.reasons.get(fp, ""),
            flapping=fp in plan.flapping,
            urgent=fp in plan.urgent,
            suppressed_by=plan.suppression.get(fp, alert.suppressed_by),
        )

    rows: list[dict[str, object]] = []
    opened = incidents_repo.add_many([incident for incident, _ in plan.new_incidents], now)
    for stored_incident, (_, group) in zip(opened, plan.new_incidents, strict=True):
        rows.extend(row(a, stored_incident.id) for a in group)
    for incident_id, group in plan.attachments.items():
        rows.extend(row(a, incident_id) for a in group)
    # placed alerts keep their incident (the upsert never clears one); suppressed have none
    rows.extend(row(a, None) for a in (*plan.refreshed, *plan.suppressed))
    alerts_repo.resolve(plan.resolved_alert_ids, now)
    alerts_repo.upsert_firing(rows)
    # in id order: two desks saving the same incidents take their row locks in one order
    # (PostgreSQL), so they wait for each other instead of deadlocking
    changed = sorted(plan.changed.values(), key=lambda pair: pair[0].id or 0)
    saved = [(before, incidents_repo.save(before, after, now)) for before, after in changed]
    # what the engine did (resolved when the alerts cleared, reopened, raised the severity)
    # reaches the incident's ticket too, queued in this same transaction
    ticketed = TicketRepository(session).linked({b.id for b, _ in saved if b.id is not None})
    for before, stored in saved:
        if before.id in ticketed:
            queue_ticket_writes(session, before, stored, now)


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
