"""The console facade: the one object the UI and the CLI talk to.

It polls sources, runs the engine, stores the result and answers the wall's queries;
operator actions go through the domain's transition table and land in the timeline.
It is safe to call from several threads: storage sessions are per call, and the only
shared state (the wall's version cache and source health) sits behind a lock.
"""

from __future__ import annotations

import getpass
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.config import Config, load_catalog, load_policies
from app.domain.alert import Alert
from app.domain.catalog import Catalog
from app.domain.changes import ChangeSet
from app.domain.health import SourceHealth, SourceStatus
from app.domain.incident import EscalationTier, Incident
from app.domain.policy import Policies
from app.engine.grouping import KnownAlert, PreviousIncident, group_key, plan_ingest
from app.engine.metrics import Metrics
from app.engine.metrics import compute as compute_metrics
from app.history import ImportResult, read_history, write_history
from app.paths import default_database_url
from app.sources.base import RateLimited, Snapshot, Source, SourceError
from app.sources.demo import load_demo_estate
from app.sources.factory import build_sources
from app.store import Database, IncidentConflict, StoreError
from app.store.alerts import AlertRepository, alert_row
from app.store.health import SourceHealthRepository
from app.store.incidents import IncidentRepository
from app.store.metrics import incident_times

log = logging.getLogger(__name__)

# the UI reaches storage only through this facade, so it catches these from here
__all__ = ["Console", "FetchResult", "IncidentConflict", "StoreError", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One source's poll: a snapshot, or the error that stopped it."""

    source: Source
    snapshot: Snapshot | None
    error: SourceError | None = None


class Console:
    """Polls, triages, stores and answers; see the module docstring.

    Attributes:
        config: the loaded configuration.
        database: the opened, migrated store.
        catalog, policies: the estate and the rules applied to it.
        sources: the enabled sources.
        operator: the actor written into timelines for this workstation's actions.
    """

    def __init__(
        self,
        config: Config,
        database: Database,
        *,
        catalog: Catalog,
        policies: Policies,
        sources: Sequence[Source],
        operator: str,
    ) -> None:
        self.config = config
        self.database = database
        self.catalog = catalog
        self.policies = policies
        self.sources = list(sources)
        self.operator = operator
        self._lock = threading.Lock()
        self._wall_versions: dict[int, int] = {}
        with database.read() as session:
            stored = SourceHealthRepository(session).all()
        self._health = {
            source.name: stored.get(source.name, SourceHealth(source.name, source.kind))
            for source in self.sources
        }

    @classmethod
    def open(
        cls, config: Config, *, database_url: str | None = None, operator: str | None = None
    ) -> Console:
        """Load catalog and policies, build sources, open (and migrate) the database."""
        if config.catalog_path is not None:
            catalog = load_catalog(config.catalog_path)
        elif any(source.kind == "demo" for source in config.sources):
            catalog = load_demo_estate()
        else:
            catalog = Catalog()
        policies = load_policies(config.policies_path)
        sources = build_sources(config.sources, catalog)
        url = database_url or config.database_url or default_database_url(config.is_demo)
        database = Database(url)
        name = operator or config.operator or _login_name()
        return cls(
            config, database, catalog=catalog, policies=policies, sources=sources, operator=name
        )

    def shutdown(self) -> None:
        self.database.dispose()

    @property
    def poll_interval(self) -> timedelta:
        return min((source.interval for source in self.sources), default=timedelta(seconds=15))

    # ------------------------------------------------------------------ polling

    def poll_once(self, now: datetime) -> ChangeSet:
        """Poll every source (sequentially), then store and triage what they reported."""
        return self.ingest([self.fetch(source, now) for source in self.sources], now)

    def fetch(self, source: Source, now: datetime) -> FetchResult:
        """The I/O half of a poll: no storage, safe to run on a source's own thread."""
        try:
            return FetchResult(source, source.fetch(now))
        except SourceError as error:
            log.warning("source %s failed: %s", source.name, error)
            return FetchResult(source, None, error)
        except Exception as error:  # a parser bug must not stop the other sources
            log.exception("source %s crashed", source.name)
            failure = SourceError(f"internal error while polling: {type(error).__name__}: {error}")
            return FetchResult(source, None, failure)

    def ingest(self, results: Sequence[FetchResult], now: datetime) -> ChangeSet:
        """The storage half: apply each snapshot, record health, return the wall's changes."""
        opened = updated = resolved = alerts = 0
        health: list[SourceHealth] = []
        with self.database.write() as session:
            for result in results:
                if result.snapshot is not None:
                    counts = self._apply_snapshot(session, result.snapshot, now)
                    opened += counts[0]
                    updated += counts[1]
                    resolved += counts[2]
                    alerts += len(result.snapshot.alerts)
                health.append(self._next_health(result, now))
            SourceHealthRepository(session).put(health)
        with self._lock:
            self._health.update({item.name: item for item in health})
        upserted, removed = self._wall_diff(now)
        return ChangeSet(
            upserted=upserted,
            removed=removed,
            sources=tuple(self.source_health()),
            alerts=alerts,
            opened=opened,
            updated=updated,
            resolved=resolved,
            at=now,
        )

    def _apply_snapshot(
        self, session: Session, snapshot: Snapshot, now: datetime
    ) -> tuple[int, int, int]:
        alerts_repo = AlertRepository(session)
        incidents_repo = IncidentRepository(session)
        stored = alerts_repo.open_for_source(snapshot.source)
        known = {
            fp: KnownAlert(a.id, fp, a.incident_id, a.starts_at, a.annotations, a.generator_url)
            for fp, a in stored.items()
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
            catalog=self.catalog,
            policies=self.policies,
            now=now,
        )
        rows: list[dict[str, object]] = []
        opened = incidents_repo.add_many([incident for incident, _ in plan.new_incidents], now)
        for stored_incident, (_, group) in zip(opened, plan.new_incidents, strict=True):
            rows.extend(
                alert_row(a, stored_incident.id, plan.alert_severity[a.fingerprint], now)
                for a in group
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
        alerts_repo.touch(snapshot.source, now)
        alerts_repo.upsert_firing(rows)
        for before, after in plan.changed.values():
            incidents_repo.save(before, after, now)
        return len(plan.new_incidents), len(plan.changed), plan.resolved_incidents

    def _next_health(self, result: FetchResult, now: datetime) -> SourceHealth:
        with self._lock:
            previous = self._health.get(
                result.source.name, SourceHealth(result.source.name, result.source.kind)
            )
        if result.snapshot is not None:
            snapshot = result.snapshot
            return SourceHealth(
                name=previous.name,
                kind=result.source.kind,
                status=SourceStatus.OK
                if snapshot.complete and not snapshot.warning
                else SourceStatus.DEGRADED,
                error=snapshot.warning,
                error_class="partial" if snapshot.warning else None,
                last_attempt=now,
                last_success=now,
                alert_count=len(snapshot.alerts),
                stale_since=None,
            )
        error = result.error
        assert error is not None
        status = SourceStatus.RATE_LIMITED if isinstance(error, RateLimited) else SourceStatus.DOWN
        return replace(
            previous,
            kind=result.source.kind,
            status=status,
            error=str(error) or type(error).__name__,
            error_class=error.kind,
            last_attempt=now,
            stale_since=previous.stale_since or previous.last_success or now,
        )

    # ------------------------------------------------------------------ the wall

    def refresh(self, now: datetime) -> ChangeSet:
        """What changed on the wall since the last change set (other writers, aged-out rows)."""
        upserted, removed = self._wall_diff(now)
        return ChangeSet(
            upserted=upserted, removed=removed, sources=tuple(self.source_health()), at=now
        )

    def _wall_diff(self, now: datetime) -> tuple[tuple[Incident, ...], tuple[int, ...]]:
        with self._lock, self.database.read() as session:
            repository = IncidentRepository(session)
            versions = repository.wall_versions(now, self.policies.watch_window)
            changed = [i for i, v in versions.items() if self._wall_versions.get(i) != v]
            removed = tuple(i for i in self._wall_versions if i not in versions)
            upserted = tuple(repository.by_ids(changed))
            self._wall_versions = versions
        return upserted, removed

    def wall(self, now: datetime) -> list[Incident]:
        """Every incident on the wall, most urgent first; resets the change-set baseline."""
        with self._lock, self.database.read() as session:
            repository = IncidentRepository(session)
            versions = repository.wall_versions(now, self.policies.watch_window)
            incidents = repository.by_ids(versions)
            self._wall_versions = {i.id: i.version for i in incidents if i.id is not None}
        return sorted(incidents, key=Incident.urgency_key)

    def incidents(self, *, include_closed: bool = False) -> list[Incident]:
        """Open incidents (or all), most urgent first."""
        with self.database.read() as session:
            found = IncidentRepository(session).listing(include_closed=include_closed)
        return sorted(found, key=Incident.urgency_key)

    def incident(self, incident_id: int) -> Incident:
        with self.database.read() as session:
            return IncidentRepository(session).get(incident_id)

    def alerts_of(self, incident_id: int) -> list[Alert]:
        with self.database.read() as session:
            return AlertRepository(session).for_incident(incident_id)

    def source_health(self) -> list[SourceHealth]:
        with self._lock:
            return [self._health[source.name] for source in self.sources]

    def stored_source_health(self) -> list[SourceHealth]:
        """Health as last recorded by any process on this database (for `noc-console sources`)."""
        with self.database.read() as session:
            stored = SourceHealthRepository(session).all()
        return [
            stored.get(source.name, SourceHealth(source.name, source.kind))
            for source in self.sources
        ]

    def metrics(
        self,
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        customer: str | None = None,
        severity: str | None = None,
    ) -> Metrics:
        """MTTD, MTTA, MTTR, SLA compliance and recurrence of incidents detected in [start, end)."""
        with self.database.read() as session:
            times = incident_times(session, start, end, customer=customer, severity=severity)
        return compute_metrics(times, now)

    # ------------------------------------------------------------------ history

    def export_history(self, path: Path) -> int:
        """Every incident with its timeline, as JSON Lines (written atomically)."""
        with self.database.read() as session:
            incidents = IncidentRepository(session).listing(include_closed=True)
        return write_history(path, sorted(incidents, key=lambda i: i.id or 0))

    def import_history(self, path: Path, now: datetime) -> ImportResult:
        """Load an exported file; all or nothing, skipping incidents already stored (by uid)."""
        incoming = list(read_history(path))
        imported = skipped = 0
        with self.database.write() as session:
            repository = IncidentRepository(session)
            for incident in incoming:
                if repository.by_uid(incident.uid) is not None:
                    skipped += 1
                    continue
                repository.add(incident, now)
                imported += 1
        return ImportResult(imported, skipped)

    # ------------------------------------------------------------------ operator actions

    def acknowledge(
        self,
        incident_id: int,
        now: datetime,
        note: str = "",
        *,
        expected_version: int | None = None,
    ) -> Incident:
        return self._act(
            incident_id, expected_version, lambda i: i.acknowledge(self.operator, now, note), now
        )

    def assign(
        self,
        incident_id: int,
        owner: str,
        now: datetime,
        note: str = "",
        *,
        expected_version: int | None = None,
    ) -> Incident:
        return self._act(
            incident_id, expected_version, lambda i: i.assign(owner, self.operator, now, note), now
        )

    def escalate(
        self,
        incident_id: int,
        now: datetime,
        reason: str,
        to_tier: EscalationTier | None = None,
        *,
        expected_version: int | None = None,
    ) -> Incident:
        return self._act(
            incident_id,
            expected_version,
            lambda i: i.escalate(self.operator, now, reason, to_tier),
            now,
        )

    def resolve(
        self,
        incident_id: int,
        now: datetime,
        note: str = "",
        *,
        expected_version: int | None = None,
    ) -> Incident:
        return self._act(
            incident_id, expected_version, lambda i: i.resolve(self.operator, now, note), now
        )

    def close(
        self, incident_id: int, now: datetime, rca: str, *, expected_version: int | None = None
    ) -> Incident:
        return self._act(
            incident_id, expected_version, lambda i: i.close(self.operator, now, rca), now
        )

    def mark_false_positive(
        self, incident_id: int, now: datetime, reason: str, *, expected_version: int | None = None
    ) -> Incident:
        return self._act(
            incident_id,
            expected_version,
            lambda i: i.mark_false_positive(self.operator, now, reason),
            now,
        )

    def add_note(
        self, incident_id: int, now: datetime, note: str, *, expected_version: int | None = None
    ) -> Incident:
        return self._act(
            incident_id, expected_version, lambda i: i.add_note(self.operator, now, note), now
        )

    def _act(
        self,
        incident_id: int,
        expected_version: int | None,
        action: Callable[[Incident], Incident],
        now: datetime,
    ) -> Incident:
        """Read, apply the domain action, write back with a version check, in one write transaction."""
        with self.database.write() as session:
            repository = IncidentRepository(session)
            before = repository.get(incident_id)
            if expected_version is not None and before.version != expected_version:
                last = before.timeline[-1]
                raise IncidentConflict(
                    f"{before.key} changed while you looked at it ({last.actor}: "
                    f"{last.kind.value.replace('_', ' ')}); it has been reloaded, check it and try again",
                    before,
                )
            return repository.save(before, action(before), now)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "operator"


def default_config_path() -> Path | None:
    from app.paths import default_config_file  # noqa: PLC0415

    path = default_config_file()
    return path if path.exists() else None
