"""Runbooks on incidents: the checklist, the guarded action runner and auto-remediation.

The order of a run is the promise of RELIABILITY.md ("Runbook actions"):

1. plan again from the stored incident, and refuse unless it is exactly the call the
   operator confirmed (the incident may have changed under the dialog);
2. check the guards: the incident is open, the desk's tier may run it, every parameter
   passed its allow-list;
3. commit the audit row (its idempotency key is unique: a double click, a second desk or
   a retried worker finds the key taken and runs nothing) with a timeline event;
4. make the call, bounded by its timeout;
5. record the result on the audit row and in the timeline.

A process that dies between 3 and 5 leaves a `running` row: shown as "outcome unknown",
never re-run by itself.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy.exc import IntegrityError

from app.domain.action_run import ActionRun
from app.domain.alert import Alert
from app.domain.errors import DomainError
from app.domain.incident import (
    AUTO_REMEDIATED,
    OPEN_STATES,
    EscalationTier,
    EventKind,
    Incident,
)
from app.domain.notifications import Notification, NotificationKind
from app.domain.runbook import (
    INPUT,
    ActionSettings,
    AutoRemediation,
    Parameter,
    Runbook,
    Step,
    StepKind,
)
from app.domain.runbook_progress import Progress, RunStatus, Validation, read_progress, validate
from app.domain.timestamps import format_duration
from app.runbooks.calls import CallResult, PlannedCall
from app.runbooks.library import Library
from app.runbooks.matching import RunbookMatch, labels_of, match_incident
from app.runbooks.planning import PlanRefused, Resolved, plan_action, resolve_parameters
from app.store import Database
from app.store.action_runs import ActionRunRepository
from app.store.alerts import AlertRepository
from app.store.incidents import IncidentRepository

log = logging.getLogger(__name__)

Executor = Callable[[PlannedCall], CallResult]
AUTO_ACTOR = "auto-remediation"
# a destructive action's confirmation is good for this long: one left open over lunch, or
# carried over a network outage, is confirmed again against the incident as it is then
CONFIRMATION_TTL = timedelta(minutes=10)
# a run still "running" this long after its timeout was cut off (the console stopped mid-call)
_STRANDED = timedelta(minutes=1)


class ActionRefused(DomainError):
    """A guard refused an action before anything ran (the message says which)."""


@dataclass(frozen=True, slots=True)
class RunbookView:
    """Everything the side panel shows for one incident's runbook.

    Attributes:
        incident: the stored incident the view was built from.
        match: the runbook and why it was chosen.
        progress: each step's state, from the timeline.
        parameters: each declared parameter's value for this incident (or why refused).
        validations: each validate step's verdict.
        runs: the incident's action runs of this runbook, oldest first.
        alerts: the incident's alerts (for links and validation).
        demo: actions act on the simulated demo estate.
    """

    incident: Incident
    match: RunbookMatch
    progress: Progress
    parameters: Mapping[str, Resolved]
    validations: Mapping[str, Validation]
    runs: tuple[ActionRun, ...]
    alerts: tuple[Alert, ...] = ()
    demo: bool = False

    @property
    def runbook(self) -> Runbook:
        return self.match.runbook


@dataclass(frozen=True, slots=True)
class PreparedAction:
    """What the confirmation dialog shows, and the key the run will carry.

    Attributes:
        call: the resolved call (None when refused); `refused` why not.
        key: the idempotency key of this confirmation (a double click reuses it).
        inputs: the operator's answers used; `asks` the input parameters to ask for.
        permitted: the desk's tier may run it (else `refused` says so).
    """

    incident_id: int
    incident_version: int
    runbook: str
    step: Step
    call: PlannedCall | None
    refused: str | None
    key: str
    inputs: Mapping[str, str] = field(default_factory=dict)
    asks: tuple[Parameter, ...] = ()
    demo: bool = False
    prepared_at: datetime | None = None

    def confirmation(self) -> str:
        """The exact call, as the operator confirms it."""
        if self.call is None:
            return f"Refused: {self.refused}"
        lines = [self.call.describe()]
        http = self.call.http
        if http is not None:
            lines += [f"{k}: {v}" for k, v in http.headers.items()]
            if http.secret:
                lines.append(f"Authorization: Bearer <secret {http.secret}>")
            if http.body is not None:
                lines.append(f"body: {_json(http.body)}")
        if self.call.aws is not None:
            lines.append(f"arguments: {_json(dict(self.call.aws.arguments))}")
        if self.call.argv is not None:
            lines += [f"  argv[{i}] = {a!r}" for i, a in enumerate(self.call.argv)]
        lines.append(f"timeout: {self.call.timeout:g}s")
        return "\n".join(lines)


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class Remediation:
    """Runbook work for the console; thread-safe (storage sessions per call).

    Attributes:
        library: the runbooks in force (replaced on reload).
        settings: `[actions]` from the config.
        tier: the desk's tier (`[console] tier`); None counts as L1.
        demo: actions run on the demo estate.
    """

    def __init__(
        self,
        database: Database,
        library: Library,
        settings: ActionSettings,
        executor: Executor,
        *,
        operator: str,
        tier: EscalationTier | None,
        demo: bool = False,
        automatic_workers: int = 2,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.database = database
        self.library = library
        self.settings = settings
        self.operator = operator
        self.tier = tier
        self.demo = demo
        self._execute = executor
        self._now = clock or (lambda: datetime.now(UTC))
        self._pool: ThreadPoolExecutor | None = None
        self._workers = automatic_workers
        self._lock = threading.Lock()
        self._pending: list[Future[ActionRun]] = []

    # ------------------------------------------------------------------ reading

    def match(self, incident: Incident, alerts: Sequence[Alert]) -> RunbookMatch | None:
        return match_incident(self.library, incident, alerts)

    def view(self, incident_id: int, now: datetime) -> RunbookView | None:
        with self.database.read() as session:
            incident = IncidentRepository(session).get(incident_id)
            alerts = AlertRepository(session).for_incident(incident_id)
            runs = ActionRunRepository(session).for_incident(incident_id)
        found = self.match(incident, alerts)
        if found is None:
            return None
        runbook = found.runbook
        progress = _stranded(read_progress(incident, runbook), now)
        watched = _watched(found, incident, alerts)
        validations = {
            step.id: validate(step, progress, watched, now)
            for step in runbook.steps
            if step.kind is StepKind.VALIDATE
        }
        return RunbookView(
            incident=incident,
            match=found,
            progress=progress,
            parameters=resolve_parameters(runbook, incident, found.alert, {}),
            validations=validations,
            runs=tuple(r for r in runs if r.runbook == runbook.id),
            alerts=tuple(alerts),
            demo=self.demo,
        )

    def missing_required(self, incident_id: int) -> list[Step]:
        """Required steps of the incident's runbook not yet done (escalation asks why)."""
        with self.database.read() as session:
            incident = IncidentRepository(session).get(incident_id)
            alerts = AlertRepository(session).for_incident(incident_id)
        found = self.match(incident, alerts)
        return read_progress(incident, found.runbook).missing_required() if found else []

    # ------------------------------------------------------------------ the checklist

    def record_step(
        self,
        incident_id: int,
        runbook_id: str,
        step_id: str,
        now: datetime,
        *,
        done: bool = True,
        choice: str | None = None,
        expected_version: int | None = None,
        act: Callable[..., Incident],
    ) -> Incident:
        """Tick or untick a step, or answer a decision; one timeline event either way."""
        runbook = self._runbook(runbook_id)
        step = runbook.step(step_id)
        data = {"runbook": runbook_id, "step": step_id, "status": "done" if done else "open"}
        if step.kind is StepKind.DECISION:
            labels = [o.label for o in step.options]
            if choice not in labels:
                raise DomainError(f"{step.title}: choose one of {', '.join(labels)}")
            data["choice"] = choice
            note = f"{step.title} \u2192 {choice}"
        elif step.kind in (StepKind.ACTION, StepKind.VALIDATE, StepKind.INFO):
            raise DomainError(f"{step.title}: a {step.kind.value} step is not ticked by hand")
        else:
            note = f"{'ticked' if done else 'unticked'}: {step.title}"
        return act(
            incident_id,
            expected_version,
            lambda i: i.record_runbook(EventKind.RUNBOOK_STEP, self.operator, now, note, data),
            now,
        )

    # ------------------------------------------------------------------ actions

    def prepare(
        self,
        incident_id: int,
        runbook_id: str,
        step_id: str,
        inputs: Mapping[str, str] | None = None,
    ) -> PreparedAction:
        """Plan the call for the confirmation dialog (nothing runs, nothing is written)."""
        runbook = self._runbook(runbook_id)
        step = runbook.step(step_id)
        with self.database.read() as session:
            incident = IncidentRepository(session).get(incident_id)
            alerts = AlertRepository(session).for_incident(incident_id)
        alert = self._alert_for(runbook, incident, alerts)
        answers = dict(inputs or {})
        asks = _asks(runbook, step)
        for parameter in asks:
            answers.setdefault(parameter.name, parameter.default or "")
        call, refused = None, self._tier_refusal(step)
        if refused is None:
            try:
                call = plan_action(runbook, step, incident, alert, answers, self.settings)
            except PlanRefused as error:
                refused = str(error)
        return PreparedAction(
            incident_id=incident_id,
            incident_version=incident.version,
            runbook=runbook_id,
            step=step,
            call=call,
            refused=refused,
            key=f"run-{uuid.uuid4().hex}",
            inputs=answers,
            asks=asks,
            demo=self.demo,
            prepared_at=self._now(),
        )

    def run(
        self,
        prepared: PreparedAction,
        now: datetime,
        *,
        act: Callable[..., Incident],
        automatic: AutoRemediation | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> ActionRun:
        """Run a confirmed action once; see the module docstring for the order.

        Raises:
            ActionRefused: a guard said no, or the key already ran (nothing was called).
        """
        runbook = self._runbook(prepared.runbook)
        step = runbook.step(prepared.step.id)
        with self.database.read() as session:
            incident = IncidentRepository(session).get(prepared.incident_id)
            alerts = AlertRepository(session).for_incident(prepared.incident_id)
            earlier = ActionRunRepository(session).by_key(prepared.key)
        if earlier is not None:
            raise ActionRefused(_already(earlier))
        if (
            automatic is None
            and step.action is not None
            and step.action.destructive
            and (prepared.prepared_at is None or now - prepared.prepared_at > CONFIRMATION_TTL)
        ):
            raise ActionRefused(
                f"this confirmation is older than {format_duration(CONFIRMATION_TTL)}: "
                "confirm it again against the incident as it is now"
            )
        if incident.state not in OPEN_STATES:
            raise ActionRefused(f"{incident.key} is {incident.state.value}: no actions on it")
        if automatic is None and (why := self._tier_refusal(step)):
            raise ActionRefused(why)
        alert = self._alert_for(runbook, incident, alerts)
        try:
            call = plan_action(runbook, step, incident, alert, prepared.inputs, self.settings)
        except PlanRefused as error:
            raise ActionRefused(str(error)) from None
        if (
            prepared.call is None
            or call.describe() != prepared.call.describe()
            or (call.as_dict() != prepared.call.as_dict())
        ):
            raise ActionRefused(
                "the call changed since it was confirmed (the incident changed): confirm it again"
            )
        actor = AUTO_ACTOR if automatic else self.operator
        assert step.action is not None
        record = ActionRun(
            key=prepared.key,
            incident_id=incident.id or prepared.incident_id,
            runbook=runbook.id,
            step=step.id,
            kind=step.action.kind.value,
            backend=call.backend.value,
            service=_service(incident),
            target=call.describe(),
            call=call.as_dict(),
            actor=actor,
            automatic=automatic is not None,
            policy=automatic.id if automatic else None,
            status=RunStatus.RUNNING,
            requested_at=now,
            started_at=now,
        )
        stored = self._claim(record, step, incident, act, now)
        result = self._call(call)
        finished = (clock or (lambda: now))()
        finished = max(finished, now)
        return self._finish(stored, step, result, act, finished)

    def _claim(
        self,
        record: ActionRun,
        step: Step,
        incident: Incident,
        act: Callable[..., Incident],
        now: datetime,
    ) -> ActionRun:
        """The audit row and the 'started' event, committed together before the call."""
        data = _event_data(record, RunStatus.RUNNING)
        note = f"started {record.kind}: {record.target}"
        try:
            with self.database.write() as session:
                stored = ActionRunRepository(session).add(record)
                repository = IncidentRepository(session)
                before = repository.get(record.incident_id)
                after = before.record_runbook(EventKind.ACTION_RUN, record.actor, now, note, data)
                if record.automatic and AUTO_REMEDIATED not in after.flags:
                    after = replace(after, flags=after.flags | {AUTO_REMEDIATED})
                repository.save(before, after, now)
        except IntegrityError:
            with self.database.read() as session:
                earlier = ActionRunRepository(session).by_key(record.key)
            raise ActionRefused(
                _already(earlier) if earlier else "this action already ran"
            ) from None
        log.info("action %s started on %s: %s", record.key, incident.key, record.target)
        return stored

    def _call(self, call: PlannedCall) -> CallResult:
        try:
            return self._execute(call)
        except Exception as error:  # a backend must answer; a bug in one must not lose the audit
            log.exception("action backend failed")
            return CallResult(
                RunStatus.FAILED, f"the backend failed: {type(error).__name__}: {error}"
            )

    def _finish(
        self,
        stored: ActionRun,
        step: Step,
        result: CallResult,
        act: Callable[..., Incident],
        now: datetime,
    ) -> ActionRun:
        assert stored.id is not None
        data = _event_data(stored, result.status)
        note = f"{result.status.value.replace('_', ' ')}: {result.summary}"
        with self.database.write() as session:
            ActionRunRepository(session).finish(
                stored.id, result.status, at=now, summary=result.summary, output=result.output
            )
            repository = IncidentRepository(session)
            before = repository.get(stored.incident_id)
            try:
                after = before.record_runbook(EventKind.ACTION_RUN, stored.actor, now, note, data)
            except DomainError:  # closed while the call ran: the audit row still says how it went
                after = None
            if after is not None:
                repository.save(before, after, now)
        log.info("action %s %s: %s", stored.key, result.status.value, result.summary)
        return replace(
            stored,
            status=result.status,
            finished_at=now,
            summary=result.summary,
            output=result.output,
        )

    def runs(self, incident_id: int) -> list[ActionRun]:
        with self.database.read() as session:
            return ActionRunRepository(session).for_incident(incident_id)

    def unfinished(self) -> list[ActionRun]:
        with self.database.read() as session:
            return ActionRunRepository(session).unfinished()

    # ------------------------------------------------------------------ auto-remediation

    def automatic_candidates(
        self,
        incidents: Sequence[Incident],
        policies: Sequence[AutoRemediation],
        now: datetime,
    ) -> list[tuple[AutoRemediation, PreparedAction]]:
        """Which policies may act on which of these incidents now (limits and breaker checked).

        Each policy runs at most once per incident (its key names both), so a reopened
        incident is never remediated in a loop.
        """
        if not policies:
            return []
        chosen: list[tuple[AutoRemediation, PreparedAction]] = []
        with self.database.read() as session:
            runs = ActionRunRepository(session)
            longest = max(max(p.per, p.storm_per, p.cooldown) for p in policies)
            recent = runs.recent_automatic(now - longest)
            live = [i for i in incidents if i.state.active and i.id is not None]
            alerts_of = AlertRepository(session).for_incidents(i.id for i in live if i.id)
            wanted: list[tuple[AutoRemediation, Incident, list[Alert], str]] = []
            for incident in live:
                assert incident.id is not None
                alerts = alerts_of[incident.id]
                found = self.match(incident, alerts)
                wanted.extend(
                    (policy, incident, alerts, f"auto-{policy.id}-{incident.uid}-{policy.step}")
                    for policy in policies
                    if found is not None and _applies(policy, incident, alerts, found)
                )
            # one query for every key, not one per incident and policy on every poll
            done = runs.used_keys(key for *_, key in wanted) | {r.key for r in recent}
            for policy, incident, alerts, key in wanted:
                if key in done:
                    continue
                service = _service(incident)
                if (why := _limits(policy, service, recent, now)) is not None:
                    log.info("auto-remediation %s held for %s: %s", policy.id, incident.key, why)
                    continue
                prepared = self._prepared_for(policy, incident, alerts, key)
                if prepared.call is None:
                    log.warning(
                        "auto-remediation %s cannot run on %s: %s",
                        policy.id,
                        incident.key,
                        prepared.refused,
                    )
                    continue
                chosen.append((policy, prepared))
                # count it at once: a storm's incidents in one poll share the limits
                recent.append(_placeholder_run(prepared, policy, service, now))
        return chosen

    def _prepared_for(
        self, policy: AutoRemediation, incident: Incident, alerts: Sequence[Alert], key: str
    ) -> PreparedAction:
        runbook = self._runbook(policy.runbook)
        step = runbook.step(policy.step)
        alert = self._alert_for(runbook, incident, alerts)
        try:
            call = plan_action(runbook, step, incident, alert, policy.inputs, self.settings)
            refused = None
        except PlanRefused as error:
            call, refused = None, str(error)
        assert incident.id is not None
        return PreparedAction(
            incident_id=incident.id,
            incident_version=incident.version,
            runbook=runbook.id,
            step=step,
            call=call,
            refused=refused,
            key=key,
            inputs=dict(policy.inputs),
            demo=self.demo,
        )

    def start_automatic(
        self,
        chosen: Sequence[tuple[AutoRemediation, PreparedAction]],
        now: datetime,
        *,
        act: Callable[..., Incident],
        clock: Callable[[], datetime],
    ) -> list[Future[ActionRun]]:
        """Run the chosen automatic actions on the console's own small pool (never on a
        poll's thread: a 60 s webhook must not hold the next poll)."""
        futures = []
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="remediation")
            pool = self._pool
        for policy, prepared in chosen:
            futures.append(pool.submit(self._run_automatic, policy, prepared, now, act, clock))
        with self._lock:
            self._pending = [f for f in self._pending if not f.done()] + futures
        return futures

    def _run_automatic(
        self,
        policy: AutoRemediation,
        prepared: PreparedAction,
        now: datetime,
        act: Callable[..., Incident],
        clock: Callable[[], datetime],
    ) -> ActionRun:
        try:
            return self.run(prepared, now, act=act, automatic=policy, clock=clock)
        except ActionRefused as error:
            log.info("auto-remediation %s not run: %s", policy.id, error)
            raise
        except Exception:
            log.exception("auto-remediation %s failed", policy.id)
            raise

    def wait(self, timeout: float | None = None) -> None:
        """Let started automatic runs finish (the CLI's poll, tests)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            try:
                future.result(timeout)
            except Exception:  # noqa: BLE001, S112 - logged where it happened
                continue

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ internals

    def _runbook(self, runbook_id: str) -> Runbook:
        runbook = self.library.get(runbook_id)
        if runbook is None:
            raise DomainError(f"no runbook {runbook_id!r} in the library")
        return runbook

    def _alert_for(
        self, runbook: Runbook, incident: Incident, alerts: Sequence[Alert]
    ) -> Alert | None:
        """The alert whose labels feed `label.*` parameters: the one the runbook matched."""
        found = self.match(incident, alerts)
        if found is not None and found.runbook.id == runbook.id:
            return found.alert
        return alerts[0] if alerts else None

    def _tier_refusal(self, step: Step) -> str | None:
        action = step.action
        if action is None:
            return f"step {step.id} is not an action"
        desk = self.tier or EscalationTier.L1
        if desk.rank < action.min_tier.rank:
            return (
                f"{step.title} needs a {action.min_tier.value} desk; this desk is "
                f"{desk.value} ([console] tier)"
            )
        return None


def _applies(
    policy: AutoRemediation, incident: Incident, alerts: Sequence[Alert], found: RunbookMatch
) -> bool:
    """The policy's runbook is the incident's, and its severity and matchers hold."""
    if found.runbook.id != policy.runbook:
        return False
    if policy.severities and incident.severity not in policy.severities:
        return False
    tested: list[Alert | None] = [*alerts] or [None]
    return not policy.matchers or any(
        all(m.matches(labels_of(incident, a)) for m in policy.matchers) for a in tested
    )


def _service(incident: Incident) -> str | None:
    return incident.root_service or (incident.services[0] if incident.services else None)


def _stranded(progress: Progress, now: datetime) -> Progress:
    """A run still 'running' well past its timeout was cut off mid-call (the console
    stopped): its outcome is unknown, and it is never re-run by itself."""
    states = dict(progress.steps)
    for step in progress.runbook.steps:
        state = states.get(step.id)
        if state is None or state.run_status is not RunStatus.RUNNING or step.action is None:
            continue
        if state.at is not None and now > state.at + step.action.timeout + _STRANDED:
            states[step.id] = replace(
                state,
                run_status=RunStatus.UNKNOWN,
                run_summary="outcome unknown: the console stopped during the call; check the target",
            )
    return replace(progress, steps=states)


def _asks(runbook: Runbook, step: Step) -> tuple[Parameter, ...]:
    names = set(step.action.templates()) if step.action else set()
    return tuple(p for name, p in runbook.parameters.items() if p.source == INPUT and name in names)


def _watched(found: RunbookMatch, incident: Incident, alerts: Sequence[Alert]) -> list[Alert]:
    """The alerts a validate step watches: those any rule of the runbook matches (all of
    the incident's for the fallback)."""
    rules = found.runbook.match
    if not rules:
        return list(alerts)
    return [
        a
        for a in alerts
        if any(all(m.matches(labels_of(incident, a)) for m in rule.matchers) for rule in rules)
    ]


def _event_data(run: ActionRun, status: RunStatus) -> dict[str, str]:
    data = {
        "runbook": run.runbook,
        "step": run.step,
        "run": run.key,
        "status": status.value,
        "kind": run.kind,
        "automatic": "yes" if run.automatic else "no",
    }
    if run.policy:
        data["policy"] = run.policy
    return data


def _already(run: ActionRun) -> str:
    when = run.requested_at.strftime("%H:%M:%S UTC")
    return f"this confirmation already ran ({run.actor} at {when}: {run.status.value}); nothing was called again"


def _limits(
    policy: AutoRemediation, service: str | None, recent: Sequence[ActionRun], now: datetime
) -> str | None:
    """Why a policy may not run now: its per-service limit, the storm limit, or its breaker."""
    mine = [r for r in recent if r.service == service and r.requested_at >= now - policy.per]
    if len(mine) >= policy.runs:
        return f"{len(mine)} automatic run(s) on {service} in the last {_span(policy.per)}"
    everything = [r for r in recent if r.requested_at >= now - policy.storm_per]
    if len(everything) >= policy.storm_runs:
        return f"storm limit: {len(everything)} automatic runs in {_span(policy.storm_per)}"
    own = [r for r in recent if r.policy == policy.id and r.status.finished]
    tail = own[-policy.failures :]
    if len(tail) == policy.failures and all(not _succeeded(r) for r in tail):
        last = tail[-1].finished_at or tail[-1].requested_at
        if now < last + policy.cooldown:
            return f"circuit open: {policy.failures} failed run(s) in a row, until {last + policy.cooldown:%H:%M} UTC"
    return None


def _succeeded(run: ActionRun) -> bool:
    return run.status is RunStatus.SUCCEEDED


def _span(delta: timedelta) -> str:
    return format_duration(delta)


def _placeholder_run(
    prepared: PreparedAction, policy: AutoRemediation, service: str | None, now: datetime
) -> ActionRun:
    return ActionRun(
        key=prepared.key,
        incident_id=prepared.incident_id,
        runbook=policy.runbook,
        step=policy.step,
        kind="",
        backend="",
        target="",
        actor=AUTO_ACTOR,
        status=RunStatus.PENDING,
        requested_at=now,
        service=service,
        automatic=True,
        policy=policy.id,
    )


def automatic_notice(incident: Incident, prepared: PreparedAction, now: datetime) -> Notification:
    """The wall's toast for an automatic run (every one is visible)."""
    target = prepared.call.describe() if prepared.call else prepared.step.title
    return Notification.about(
        incident,
        NotificationKind.AUTO_REMEDIATION,
        now,
        f"{incident.key} auto-remediation: {prepared.step.title} ({target})",
        incident.team,
    )
