"""Where an incident's runbook stands, read back from its timeline.

Every tick, answer and action run is a timeline event (`runbook_step`, `action_run`)
carrying the runbook and step ids, so progress needs no table of its own: it survives a
restart, travels in exports, and a second operator on a shared database continues where
the first stopped. The latest event for a step wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.alert import Alert
from app.domain.incident import EventKind, Incident, TimelineEvent
from app.domain.runbook import Runbook, Step, StepKind


class StepStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"  # passed over by a decision's answer


class RunStatus(StrEnum):
    """An action run's life, as its audit row and its timeline events record it."""

    PENDING = "pending"  # audit row committed, call not yet made
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    REFUSED = "refused"  # a guard said no before any call was made
    UNKNOWN = "unknown"  # left running when the console stopped: check the target by hand

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.PENDING, RunStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class StepState:
    """One step as far as the timeline says.

    Attributes:
        status: open, done or skipped.
        actor, at: who last changed it and when (None for an untouched step).
        choice: a decision's chosen answer.
        run: the latest action run's id, `run_status` its status (action steps).
    """

    status: StepStatus = StepStatus.OPEN
    actor: str | None = None
    at: datetime | None = None
    choice: str | None = None
    run: str | None = None
    run_status: RunStatus | None = None
    run_summary: str = ""
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    """A runbook's steps on one incident."""

    runbook: Runbook
    steps: Mapping[str, StepState] = field(default_factory=dict)

    def state(self, step_id: str) -> StepState:
        return self.steps.get(step_id, StepState())

    def missing_required(self) -> list[Step]:
        """Required steps neither done nor skipped: escalating past them needs a reason."""
        return [
            step
            for step in self.runbook.steps
            if step.required and self.state(step.id).status is StepStatus.OPEN
        ]

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.runbook.steps if self.state(s.id).status is not StepStatus.OPEN)

    def last_action_end(self, after: str | None = None) -> tuple[Step, StepState] | None:
        """The action run a validate step watches: `after`'s, or the latest finished one."""
        best: tuple[Step, StepState] | None = None
        for step in self.runbook.steps:
            if step.kind is not StepKind.ACTION or (after is not None and step.id != after):
                continue
            state = self.state(step.id)
            if state.run_status is not RunStatus.SUCCEEDED or state.at is None:
                continue
            if best is None or (best[1].at is not None and state.at > best[1].at):
                best = (step, state)
        return best


def read_progress(incident: Incident, runbook: Runbook) -> Progress:
    """Fold the incident's runbook events for `runbook` into per-step states."""
    states: dict[str, StepState] = {}
    for event in incident.timeline:
        if event.kind not in (EventKind.RUNBOOK_STEP, EventKind.ACTION_RUN):
            continue
        if event.data.get("runbook") != runbook.id:
            continue
        step_id = event.data.get("step", "")
        if event.kind is EventKind.RUNBOOK_STEP:
            states[step_id] = _step_event(event)
        else:
            states[step_id] = _run_event(event, states.get(step_id, StepState()))
    _apply_decisions(runbook, states)
    return Progress(runbook, states)


def _step_event(event: TimelineEvent) -> StepState:
    status = event.data.get("status", "done")
    return StepState(
        status=StepStatus.OPEN if status == "open" else StepStatus.DONE,
        actor=event.actor,
        at=event.at,
        choice=event.data.get("choice") or None,
    )


def _run_event(event: TimelineEvent, before: StepState) -> StepState:
    try:
        run_status = RunStatus(event.data.get("status", "running"))
    except ValueError:
        run_status = RunStatus.FAILED
    succeeded = run_status is RunStatus.SUCCEEDED
    return StepState(
        status=StepStatus.DONE
        if succeeded or before.status is StepStatus.DONE
        else StepStatus.OPEN,
        actor=event.actor,
        at=event.at,
        run=event.data.get("run"),
        run_status=run_status,
        run_summary=event.note,
        automatic=event.data.get("automatic") == "yes",
    )


def _apply_decisions(runbook: Runbook, states: dict[str, StepState]) -> None:
    """A decision answered with a `goto` skips the open steps between it and its target."""
    order = [step.id for step in runbook.steps]
    for index, step in enumerate(runbook.steps):
        if step.kind is not StepKind.DECISION:
            continue
        state = states.get(step.id)
        if state is None or state.status is not StepStatus.DONE or state.choice is None:
            continue
        goto = next((o.goto for o in step.options if o.label == state.choice), None)
        if goto is None or goto not in order:
            continue
        for skipped in order[index + 1 : order.index(goto)]:
            if states.get(skipped, StepState()).status is StepStatus.OPEN:
                states[skipped] = StepState(
                    StepStatus.SKIPPED,
                    state.actor,
                    state.at,
                    choice=f"{step.title}: {state.choice}",
                )


class Watch(StrEnum):
    WAITING = "waiting"  # no action has finished yet
    WATCHING = "watching"
    CLEARED = "cleared"
    NOT_CLEARED = "not_cleared"


@dataclass(frozen=True, slots=True)
class Validation:
    """What a validate step says: the watched alerts cleared within the window, or not.

    Attributes:
        watch: the verdict so far.
        since: when the watched action finished; `until` when the window ends.
        cleared_at: when the last watched alert cleared.
        firing: names of the watched alerts still firing.
    """

    watch: Watch
    since: datetime | None = None
    until: datetime | None = None
    cleared_at: datetime | None = None
    firing: tuple[str, ...] = ()

    def describe(self, now: datetime) -> str:
        if self.watch is Watch.WAITING:
            return "waiting for an action to finish"
        if self.watch is Watch.CLEARED and self.cleared_at and self.since:
            took = _minutes(self.cleared_at - self.since)
            return f"cleared {took} after the action"
        names = ", ".join(self.firing[:3]) + (" \u2026" if len(self.firing) > 3 else "")
        if self.watch is Watch.WATCHING and self.until:
            return f"watching: {_minutes(self.until - now)} left; still firing: {names}"
        return f"did not clear within the window; still firing: {names}"


def validate(step: Step, progress: Progress, watched: Sequence[Alert], now: datetime) -> Validation:
    """Did the alerts the runbook matched clear within `step.window` of the last action?

    An alert counts as cleared when its source reported it resolved (its `ends_at`), or
    when it is gone from the incident's firing alerts.
    """
    last = progress.last_action_end(step.after)
    if last is None or last[1].at is None:
        return Validation(Watch.WAITING)
    since = last[1].at
    until = since + step.window
    firing = tuple(sorted({a.alertname for a in watched if a.firing}))
    if not firing:
        ends = [a.ends_at for a in watched if a.ends_at is not None]
        cleared = max(ends, default=now)
        if cleared <= until:
            return Validation(Watch.CLEARED, since, until, max(cleared, since))
        return Validation(Watch.NOT_CLEARED, since, until, cleared)
    if now < until:
        return Validation(Watch.WATCHING, since, until, firing=firing)
    return Validation(Watch.NOT_CLEARED, since, until, firing=firing)


def _minutes(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    return f"{seconds // 60}m {seconds % 60:02d}s"
