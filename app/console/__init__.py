"""The console facade: the one object the UI and the CLI talk to.

It polls sources, runs the engine, stores the result and answers the wall's queries;
operator actions go through the domain's transition table and land in the timeline.
It is safe to call from several threads: storage sessions are per call, and the only
shared state (the wall's version cache, source health and poll schedules) sits behind a
lock. Each source keeps its own schedule (app/polling.py), so the GUI's per-source workers
and the CLI's poll loop wait for Retry-After and back off a dead peer the same way.
"""

from __future__ import annotations

import getpass
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.config import Config, ConfigError
from app.console.demo_actions import DemoExecutor
from app.console.estate import load_estate
from app.console.ingest import FetchResult, apply_snapshot, fetch, health_after
from app.console.remediation import (
    ActionRefused,
    Executor,
    PreparedAction,
    Remediation,
    RunbookView,
    automatic_notice,
)
from app.console.runbook_queries import ChartData, chart_data
from app.console.ticket_desk import Delivery, NoTicketingSystem, TicketDesk
from app.console.ticket_sync import RemoteChange, remote_state
from app.console.ticket_updates import queue_ticket_writes
from app.domain.action_run import ActionRun
from app.domain.alert import Alert
from app.domain.catalog import Catalog
from app.domain.changes import ChangeSet
from app.domain.errors import DomainError
from app.domain.health import SourceHealth
from app.domain.incident import EscalationTier, Incident
from app.domain.notifications import Notification, opened_notices
from app.domain.outbox import OutboxItem, TicketLink
from app.domain.policy import Policies
from app.domain.service_metrics import Bucket, Figures, MetricsReport, MetricsScope
from app.domain.severity import Severity
from app.domain.triage_rules import KnownIssue
from app.engine.escalation import SlaWatch, due_escalations
from app.engine.explain import Explanation, explain_incident
from app.engine.noise import NoiseReport
from app.engine.noise import rank as rank_noise
from app.engine.sla_clock import ClockReading, next_change, read_clock
from app.gc_pause import gc_paused, release_gradually
from app.history import ImportResult, read_history, write_history
from app.paths import default_database_url
from app.polling import PollSchedule
from app.runbooks import backends
from app.runbooks.library import Library, load_library
from app.runbooks.matching import RunbookMatch
from app.secrets import SecretUnavailable, get_secret
from app.sources.base import Source
from app.sources.factory import build_sources
from app.store import Database, IncidentConflict, StoreError
from app.store.alerts import AlertRepository
from app.store.health import SourceHealthRepository
from app.store.incidents import IncidentRepository
from app.store.noise import rule_figures
from app.store.service_metrics import metrics_report, period_figures
from app.ticketing.factory import build_client

log = logging.getLogger(__name__)

# the UI reaches storage only through this facade, so it catches these from here
__all__ = [
    "ActionRefused",
    "ChartData",
    "Console",
    "FetchResult",
    "IncidentConflict",
    "NoTicketingSystem",
    "PreparedAction",
    "RunbookView",
    "SourcePoller",
    "StoreError",
    "utc_now",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


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
        library: Library | None = None,
        wall_clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.database = database
        self.catalog = catalog
        self.policies = policies
        self.sources = list(sources)
        self.operator = operator
        self.wall_clock = wall_clock
        self.remediation = Remediation(
            database,
            library if library is not None else load_library(config.runbook_dirs),
            config.actions,
            self._executor(),
            operator=operator,
            tier=config.operator_tier,
            demo=config.is_demo,
            clock=wall_clock,
        )
        self.tickets = TicketDesk(
            database,
            config.ticketing,
            lambda entry: build_client(entry, get_secret),
            actor=operator,
        )
        self._lock = threading.Lock()
        self._wall_versions: dict[int, int] = {}
        with database.read() as session:
            stored = SourceHealthRepository(session).all()
        self._health = {
            source.name: stored.get(source.name, SourceHealth(source.name, source.kind))
            for source in self.sources
        }
        # a dead peer is retried less often, but never more than four intervals apart (or a
        # minute): a blind source must come back soon after its peer does
        self._schedules = {
            source.name: PollSchedule(
                source.interval, cap=max(source.interval * 4, timedelta(minutes=1))
            )
            for source in self.sources
        }

    @classmethod
    def open(
        cls,
        config: Config,
        *,
        database_url: str | None = None,
        operator: str | None = None,
        wall_clock: Callable[[], datetime] = utc_now,
    ) -> Console:
        """Load catalog and policies, build sources, open (and migrate) the database."""
        catalog, policies = load_estate(config)
        sources = build_sources(config.sources, catalog)
        url = database_url or config.database_url or default_database_url(config.is_demo)
        database = Database(url)
        name = operator or config.operator or _login_name()
        return cls(
            config,
            database,
            catalog=catalog,
            policies=policies,
            sources=sources,
            operator=name,
            wall_clock=wall_clock,
        )

    def shutdown(self) -> None:
        """Let automatic actions finish, close the sources' connections and the database."""
        self.remediation.shutdown()
        self.tickets.shutdown()
        for source in self.sources:
            close = getattr(source, "close", None)
            if callable(close):
                close()
        self.database.dispose()

    # ------------------------------------------------------------------ polling

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(f"no source named {name!r}")

    def poll_once(self, now: datetime) -> ChangeSet:
        """Poll every source at once (one hanging source delays nobody), then store it all."""
        with gc_paused():
            return self.ingest(self._fetch_all(self.sources, now), now)

    def poll_due(self, now: datetime) -> ChangeSet | None:
        """Poll the sources whose schedule says they are due (the CLI's poll loop); None if none."""
        with self._lock:
            due = [s for s in self.sources if self._schedules[s.name].due(now)]
        if not due:
            return None
        with gc_paused():
            return self.ingest(self._fetch_all(due, now), now)

    def poll_source(self, name: str, now: datetime) -> ChangeSet:
        """Poll one source and store what it said (a per-source worker's whole job)."""
        with gc_paused():
            results = [fetch(self.source(name), now)]
            changes = self.ingest(results, now)
            snapshot = results.pop().snapshot
            if snapshot is not None:  # free a storm's alerts without one long GIL hold
                alerts = list(snapshot.alerts)
                del snapshot
                release_gradually(alerts)
            return changes

    def next_poll_at(self, name: str | None = None) -> datetime | None:
        """When a source (or the soonest of all) is next due, by its schedule."""
        with self._lock:
            times = [s.next_at for n, s in self._schedules.items() if name in (None, n)]
        if any(t is None for t in times):
            return None
        return min((t for t in times if t is not None), default=None)

    def source_pollers(self) -> list[SourcePoller]:
        """One poller per source, for per-source workers: a hung source delays only itself."""
        return [SourcePoller(self, source.name, source.interval) for source in self.sources]

    def fetch(self, source: Source, now: datetime) -> FetchResult:
        """The I/O half of a poll: no storage, safe to run on a source's own thread."""
        return fetch(source, now)

    def _fetch_all(self, sources: Sequence[Source], now: datetime) -> list[FetchResult]:
        if len(sources) <= 1:
            return [fetch(source, now) for source in sources]
        with ThreadPoolExecutor(
            max_workers=min(8, len(sources)), thread_name_prefix="poll"
        ) as pool:
            return list(pool.map(lambda source: fetch(source, now), sources))

    def ingest(self, results: Sequence[FetchResult], now: datetime) -> ChangeSet:
        """The storage half: apply each snapshot, record health, return the wall's changes."""
        opened = updated = resolved = alerts = 0
        with self._lock:
            for result in results:
                schedule = self._schedules[result.source.name]
                if result.snapshot is not None:
                    schedule.succeeded(now)
                else:
                    schedule.failed(now, result.error.retry_after if result.error else None)
            health = [
                health_after(self._health[r.source.name], r, self._schedules[r.source.name], now)
                for r in results
            ]
        with self.database.write() as session:
            for result in results:
                if result.snapshot is not None:
                    counts = apply_snapshot(
                        session, result.snapshot, self.catalog, self.policies, now
                    )
                    opened += counts[0]
                    updated += counts[1]
                    resolved += counts[2]
                    alerts += len(result.snapshot.alerts)
            SourceHealthRepository(session).put(health)
            notices = self._escalate_due(session, now)
        with self._lock:
            self._health.update({item.name: item for item in health})
        upserted, removed = self._wall_diff(now)
        notices = (
            opened_notices(upserted, now) + notices + self._remediate_automatically(upserted, now)
        )
        self.tickets.automatic(upserted, now)
        return ChangeSet(
            upserted=upserted,
            removed=removed,
            sources=tuple(self.source_health()),
            alerts=alerts,
            opened=opened,
            updated=updated,
            resolved=resolved,
            at=now,
            notifications=notices,
        )

    def _escalate_due(self, session: Session, now: datetime) -> tuple[Notification, ...]:
        """Tier timers, checked with every poll (the demo polls every 5 s, sources 15 s)."""
        policies = self.policies
        severities = {*policies.escalation, *policies.escalation_unresolved}
        repository = IncidentRepository(session)
        due = due_escalations(repository.escalation_candidates(severities), policies, now)
        for before, after, _ in sorted(due, key=lambda item: item[0].id or 0):  # lock order
            repository.save(before, after, now)
        return tuple(notice for _, _, notice in due)

    def _remediate_automatically(
        self, incidents: Sequence[Incident], now: datetime
    ) -> tuple[Notification, ...]:
        """Start the actions auto-remediation policies allow on these incidents, and say so."""
        policies = self.policies.auto_remediation
        if not policies or not incidents:
            return ()
        chosen = self.remediation.automatic_candidates(incidents, policies, now)
        if not chosen:
            return ()
        self.remediation.start_automatic(chosen, now, act=self._act, clock=self.wall_clock)
        by_id = {i.id: i for i in incidents}
        return tuple(
            automatic_notice(by_id[prepared.incident_id], prepared, now) for _, prepared in chosen
        )

    def sla_watch(self) -> SlaWatch:
        """SLA crossings for a caller that asks every second (pure: no storage)."""
        return SlaWatch(self.clock, self.next_clock_change)

    def next_clock_change(self, incident: Incident, now: datetime) -> datetime | None:
        contract = self.policies.contract_for(incident.customer, self.catalog)
        return next_change(incident, now, contract, self.policies.at_risk)

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

    def explain(self, incident_id: int, now: datetime) -> Explanation:
        """Which rules put each of an incident's alerts where (`policies check --explain`)."""
        with self.database.read() as session:
            incident = IncidentRepository(session).get(incident_id)
            alerts = AlertRepository(session).for_incident(incident_id)
        return explain_incident(incident, alerts, self.catalog, self.policies, now)

    def suppressed_alerts(self) -> list[Alert]:
        """Firing alerts kept out of every incident (silenced, inhibited, in maintenance)."""
        with self.database.read() as session:
            return [alert for alert, _ in AlertRepository(session).suppressed()]

    def known_issue(self, issue_id: str | None) -> KnownIssue | None:
        """The known-issue rule behind an incident's badge (title, ticket, runbook)."""
        return self.policies.known_issue(issue_id)

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
    ) -> Figures:
        """MTTD, MTTA, MTTR, SLA compliance, recurrence and noise of the incidents detected
        in [start, end), in SQL (definitions: app/domain/service_metrics.py)."""
        scope = MetricsScope(
            start=start,
            end=end,
            customer=customer,
            severity=Severity(severity) if severity else None,
        )
        with self.database.read() as session:
            return period_figures(session, scope, now)

    def metrics_report(self, scope: MetricsScope, bucket: Bucket, now: datetime) -> MetricsReport:
        """Everything the metrics view charts for a scope: the period, its buckets, SLA per
        customer and severity, the top recurring pairs (app/store/service_metrics.py)."""
        with self.database.read() as session:
            return metrics_report(session, scope, bucket, now)

    def customer_ids(self) -> list[str]:
        """The catalog's customers, by id (the metrics view's customer filter)."""
        return sorted(self.catalog.customers)

    def noise_report(self, start: datetime, end: datetime) -> NoiseReport:
        """Alert rules ranked by noise, over alerts first seen in [start, end) (engine/noise.py)."""
        with self.database.read() as session:
            figures = rule_figures(session, start, end)
        return rank_noise(figures)

    # ------------------------------------------------------------------ history

    def export_history(self, path: Path) -> int:
        """Every incident with its timeline, as JSON Lines (written atomically)."""
        with self.database.read() as session:
            incidents = IncidentRepository(session).listing(include_closed=True)
        return write_history(path, sorted(incidents, key=lambda i: i.id or 0))

    def import_history(self, path: Path, now: datetime) -> ImportResult:
        """Load an exported file: checked whole first, then stored in one transaction.

        Incidents already stored (same uid) are skipped, so a second import adds nothing.
        They go through the store's `add`, which writes the metric columns, so imported
        incidents count in `metrics`. `recurrence_of` is linked to the new id of the line
        it names. Keys (INC-…) are this database's: an imported incident gets a new one.
        """
        entries = read_history(path)
        imported = skipped = 0
        with self.database.write() as session:
            repository = IncidentRepository(session)
            # what is already stored, asked once for the whole file (not once per line)
            ids: dict[str, int | None] = dict(
                repository.ids_by_uid(entry.incident.uid for entry in entries)
            )
            for entry in entries:
                incident = entry.incident
                if incident.uid in ids:
                    skipped += 1
                    continue
                link = ids.get(entry.recurrence_of) if entry.recurrence_of else None
                stored = repository.add(replace(incident, recurrence_of=link), now)
                imported += 1
                ids[incident.uid] = stored.id
        return ImportResult(imported, skipped)

    # ------------------------------------------------------------------ runbooks

    @property
    def library(self) -> Library:
        return self.remediation.library

    def runbook(self, incident_id: int, now: datetime) -> RunbookView | None:
        """The incident's runbook, its progress, parameters and validations (side panel)."""
        return self.remediation.view(incident_id, now)

    def match_runbook(self, incident_id: int) -> RunbookMatch | None:
        """Which runbook the incident gets, with every candidate (`runbooks match`)."""
        incident = self.incident(incident_id)
        return self.remediation.match(incident, self.alerts_of(incident_id))

    def missing_runbook_steps(self, incident_id: int) -> list[str]:
        """Titles of required runbook steps still open (escalating past them needs a reason)."""
        return [step.title for step in self.remediation.missing_required(incident_id)]

    def tick_step(
        self,
        incident_id: int,
        runbook_id: str,
        step_id: str,
        now: datetime,
        *,
        done: bool = True,
        expected_version: int | None = None,
    ) -> Incident:
        """Tick (or untick) a checklist step: a timeline event with who and when."""
        return self.remediation.record_step(
            incident_id,
            runbook_id,
            step_id,
            now,
            done=done,
            expected_version=expected_version,
            act=self._act,
        )

    def answer_decision(
        self,
        incident_id: int,
        runbook_id: str,
        step_id: str,
        choice: str,
        now: datetime,
        *,
        expected_version: int | None = None,
    ) -> Incident:
        """Answer a decision step; the steps its answer passes over count as skipped."""
        return self.remediation.record_step(
            incident_id,
            runbook_id,
            step_id,
            now,
            choice=choice,
            expected_version=expected_version,
            act=self._act,
        )

    def prepare_action(
        self,
        incident_id: int,
        runbook_id: str,
        step_id: str,
        inputs: dict[str, str] | None = None,
    ) -> PreparedAction:
        """The exact call an action step would make, for the confirmation (nothing runs)."""
        return self.remediation.prepare(incident_id, runbook_id, step_id, inputs)

    def run_action(self, prepared: PreparedAction, now: datetime) -> ActionRun:
        """Run a confirmed action once: audit row first, then the call, then the result."""
        return self.remediation.run(prepared, now, act=self._act, clock=self.wall_clock)

    def action_runs(self, incident_id: int) -> list[ActionRun]:
        return self.remediation.runs(incident_id)

    def chart(self, incident_id: int, runbook_id: str, step_id: str, now: datetime) -> ChartData:
        """A query step's series around the incident's start (Prometheus or CloudWatch)."""
        view = self.remediation.view(incident_id, now)
        runbook = self.library.get(runbook_id)
        if view is None or runbook is None:
            raise DomainError(f"no runbook {runbook_id!r} for this incident")
        alert = view.match.alert if view.runbook.id == runbook_id else None
        return chart_data(self.sources, runbook, runbook.step(step_id), view.incident, alert, now)

    def _executor(self) -> Executor:
        if self.config.is_demo:
            demo = next((s for s in self.sources if s.kind == "demo"), None)
            remediate = getattr(getattr(demo, "inner", demo), "remediate", None)
            if remediate is not None:
                return DemoExecutor(remediate, self.wall_clock)
        settings = self.config.actions

        def secret(name: str) -> str | None:
            try:
                return get_secret(name)
            except SecretUnavailable:
                return None

        return lambda call: backends.execute(call, settings, secret_lookup=secret)

    # ------------------------------------------------------------------ tickets

    def request_ticket(self, incident_id: int, now: datetime) -> tuple[TicketLink, bool]:
        """Queue the incident's ticket create (once: a second request returns the link)."""
        return self.tickets.request(incident_id, now)

    def deliver_tickets(self, now: datetime, *, incident_id: int | None = None) -> Delivery:
        """Send what the outbox holds that is due (in order per incident)."""
        return self.tickets.deliver(now, incident_id=incident_id)

    def sync_tickets(self, now: datetime) -> list[Incident]:
        """Bring assignee, priority and state changes made in the tickets back, each as a
        timeline event by `ticket <KEY>` (never sent back to the ticket)."""
        changed = []
        for change in self.tickets.remote_changes(now):
            stored = self._apply_remote(change, now)
            if stored is not None:
                changed.append(stored)
        return changed

    def _apply_remote(self, change: RemoteChange, now: datetime) -> Incident | None:
        remote, actor = change.remote, change.actor
        with self.database.write() as session:
            repository = IncidentRepository(session)
            before = repository.get(change.link.incident_id)
            after = before
            try:
                if change.assignee:
                    after = after.assign(change.assignee, actor, now, f"assigned in {remote.key}")
                if change.severity and after.state.active:
                    contract = self.policies.contract_for(after.customer, self.catalog)
                    reason = f"priority set to {remote.priority} in {remote.key}"
                    after = after.change_severity(change.severity, contract, actor, now, reason)
                if change.state:
                    firing = AlertRepository(session).firing_counts([before.id or 0])
                    after = remote_state(after, change, firing.get(before.id or 0, 0), now)
            except DomainError as error:
                log.info("ticket %s change not applied to %s: %s", remote.key, before.key, error)
            stored = repository.save(before, after, now) if after is not before else None
            self.tickets.remember(session, change)
        return stored

    def ticket_link(self, incident_id: int) -> TicketLink | None:
        return self.tickets.link(incident_id)

    def retry_ticket_write(self, item_id: int) -> bool:
        """Release a ticket write that waits for attention; False if there is no such row.
        One held in a state conflict is then sent anyway, while the ticket stays as it was."""
        return self.tickets.retry(item_id)

    def drop_ticket_write(
        self, item_id: int, actor: str, reason: str, *, now: datetime | None = None
    ) -> Incident | None:
        """Decide not to send a ticket write that waits for attention: the row is kept,
        marked dropped, the incident's timeline says who dropped which write and why, and
        the incident's later writes are no longer held. The stored incident, or None if no
        such row waits; a blank reason is refused (DomainError)."""
        return self.tickets.drop(item_id, actor, reason, now or self.wall_clock())

    def outbox(self) -> list[OutboxItem]:
        """Ticket writes not yet delivered: pending, retrying and needing attention."""
        return self.tickets.waiting()

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

    def deescalate(
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
            lambda i: i.deescalate(self.operator, now, reason, to_tier),
            now,
        )

    def reload_policies(self) -> str | None:
        """Read the policies (and catalog) again; a bad file is refused and the last good
        ones stay in force. Returns the error to show, or None."""
        try:
            catalog, policies = load_estate(self.config)
        except ConfigError as error:
            log.warning("policies not reloaded: %s", error)
            return str(error)
        library = load_library(self.config.runbook_dirs)
        with self._lock:
            self.catalog, self.policies = catalog, policies
            self.remediation.library = library
        return None

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

    def change_severity(
        self,
        incident_id: int,
        severity: Severity,
        now: datetime,
        reason: str,
        *,
        expected_version: int | None = None,
    ) -> Incident:
        """An operator's override, up or down; the reason lands in the timeline.

        The engine only ever raises severity; a lower one set here holds until a more
        severe alert joins the incident.
        """
        if not reason.strip():
            raise DomainError("changing the severity needs a reason, for the timeline")

        def change(incident: Incident) -> Incident:
            contract = self.policies.contract_for(incident.customer, self.catalog)
            return incident.change_severity(severity, contract, self.operator, now, reason)

        return self._act(incident_id, expected_version, change, now)

    def pause(
        self, incident_id: int, now: datetime, reason: str, *, expected_version: int | None = None
    ) -> Incident:
        """Waiting on the customer: the running SLA clocks stop, with the reason in the timeline."""
        return self._act(
            incident_id, expected_version, lambda i: i.pause(self.operator, now, reason), now
        )

    def resume(
        self,
        incident_id: int,
        now: datetime,
        note: str = "",
        *,
        expected_version: int | None = None,
    ) -> Incident:
        """The clocks run again, their deadlines pushed by the working time spent waiting."""

        def run(incident: Incident) -> Incident:
            contract = self.policies.contract_for(incident.customer, self.catalog)
            return incident.resume(
                self.operator, now, contract.calendar_for(incident.severity), note
            )

        return self._act(incident_id, expected_version, run, now)

    def record_update(
        self, incident_id: int, now: datetime, note: str, *, expected_version: int | None = None
    ) -> Incident:
        """The customer was updated (what they were told goes in the timeline); the update
        countdown restarts from the contract's cadence."""

        def run(incident: Incident) -> Incident:
            contract = self.policies.contract_for(incident.customer, self.catalog)
            cadence = contract.update_cadence(incident.severity)
            return incident.record_update(self.operator, now, note, cadence)

        return self._act(incident_id, expected_version, run, now)

    def log_ticket(
        self, incident_id: int, now: datetime, ticket: str, *, expected_version: int | None = None
    ) -> Incident:
        """Record the key of a ticket logged by hand in the customer's system (the T key);
        it shows on the wall and in exports."""
        return self._act(
            incident_id,
            expected_version,
            lambda i: i.log_ticket(ticket.strip(), self.operator, now),
            now,
        )

    def clock(self, incident: Incident, now: datetime) -> ClockReading:
        """Its SLA clock at `now` (pure: no storage), through the customer's contract."""
        contract = self.policies.contract_for(incident.customer, self.catalog)
        return read_clock(incident, now, contract, self.policies.at_risk)

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
            stored = repository.save(before, action(before), now)
            queue_ticket_writes(session, before, stored, now)  # same transaction: both or neither
            return stored


class SourcePoller:
    """One source's polls and schedule, as a per-source worker (ui/workers) drives them.

    Attributes:
        name: the source's name; `interval` its configured interval.
    """

    def __init__(self, console: Console, name: str, interval: timedelta) -> None:
        self.console = console
        self.name = name
        self.interval = interval

    def poll_once(self, now: datetime) -> ChangeSet:
        return self.console.poll_source(self.name, now)

    def next_poll_at(self) -> datetime | None:
        return self.console.next_poll_at(self.name)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "operator"


def default_config_path() -> Path | None:
    from app.paths import default_config_file  # noqa: PLC0415

    path = default_config_file()
    return path if path.exists() else None
