"""Incidents: the lifecycle state machine, escalation tiers and the timeline of events.

An `Incident` is an immutable snapshot. Every operator or system action returns a new
snapshot with one more timeline event, or raises `IllegalTransition` and changes
nothing. The transition table below is the single authority on what may happen when.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from app.domain.errors import DomainError, IllegalTransition
from app.domain.severity import Severity
from app.domain.sla import Calendar, SlaPolicy
from app.domain.timestamps import ensure_utc


class IncidentState(StrEnum):
    """Lifecycle: new -> triaged -> logged -> diagnosing -> resolved -> closed.

    `false_positive` is a closing side exit; `resolved -> diagnosing` on recurrence.
    """

    NEW = "new"
    TRIAGED = "triaged"
    LOGGED = "logged"
    DIAGNOSING = "diagnosing"
    RESOLVED = "resolved"
    CLOSED = "closed"
    FALSE_POSITIVE = "false_positive"

    @property
    def terminal(self) -> bool:
        return self in (IncidentState.CLOSED, IncidentState.FALSE_POSITIVE)

    @property
    def active(self) -> bool:
        """Someone still has to work on it (not resolved, closed or a false positive)."""
        return self in ACTIVE_STATES


ACTIVE_STATES = frozenset(
    {IncidentState.NEW, IncidentState.TRIAGED, IncidentState.LOGGED, IncidentState.DIAGNOSING}
)
OPEN_STATES = ACTIVE_STATES | {IncidentState.RESOLVED}


class EscalationTier(StrEnum):
    """Who works the incident; an attribute, not a lifecycle state."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    ENG = "ENG"

    @property
    def rank(self) -> int:
        return _TIER_ORDER.index(self)

    def above(self) -> EscalationTier | None:
        index = self.rank + 1
        return _TIER_ORDER[index] if index < len(_TIER_ORDER) else None


_TIER_ORDER = (EscalationTier.L1, EscalationTier.L2, EscalationTier.L3, EscalationTier.ENG)


class EventKind(StrEnum):
    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    TICKETED = "ticketed"
    SEVERITY_CHANGED = "severity_changed"
    ALERTS_ATTACHED = "alerts_attached"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CORRELATED = "correlated"
    FLAPPING = "flapping"
    KNOWN_ISSUE = "known_issue"
    PAUSED = "paused"
    RESUMED = "resumed"
    CUSTOMER_UPDATE = "customer_update"
    DEESCALATED = "deescalated"
    CLOSED = "closed"
    FALSE_POSITIVE = "false_positive"
    NOTE = "note"
    RUNBOOK_STEP = "runbook_step"  # a checklist step ticked, unticked, skipped or answered
    ACTION_RUN = "action_run"  # a runbook action started or finished (the audit row's id in data)
    # an operator decided a ticket write waiting for attention is not to be sent (who,
    # which write and why); the outbox row is kept, marked dropped
    TICKET_WRITE_DROPPED = "ticket_write_dropped"


def _same(states: frozenset[IncidentState]) -> Mapping[IncidentState, IncidentState]:
    return {state: state for state in states}


_S = IncidentState
# kind -> {state it may happen in: state it leads to}. Absent means illegal.
TRANSITIONS: Mapping[EventKind, Mapping[IncidentState, IncidentState]] = MappingProxyType(
    {
        EventKind.DETECTED: {},  # only ever the first event, written by Incident.detect
        EventKind.ACKNOWLEDGED: {
            _S.NEW: _S.TRIAGED,
            _S.LOGGED: _S.LOGGED,  # a ticket logged by policy before anyone acknowledged
            _S.DIAGNOSING: _S.DIAGNOSING,  # escalated by timer before anyone acknowledged
        },
        EventKind.TICKETED: {
            _S.NEW: _S.LOGGED,
            _S.TRIAGED: _S.LOGGED,
            _S.DIAGNOSING: _S.DIAGNOSING,
            _S.RESOLVED: _S.RESOLVED,
            # a ticket queued while open, delivered after the incident ended: it exists,
            # so the incident names it (the wall, exports, the metrics' reports)
            _S.CLOSED: _S.CLOSED,
            _S.FALSE_POSITIVE: _S.FALSE_POSITIVE,
        },
        EventKind.ESCALATED: {
            _S.NEW: _S.NEW,  # the response clock keeps running: escalation is not a response
            _S.TRIAGED: _S.DIAGNOSING,
            _S.LOGGED: _S.DIAGNOSING,
            _S.DIAGNOSING: _S.DIAGNOSING,
        },
        EventKind.ASSIGNED: _same(OPEN_STATES),
        EventKind.SEVERITY_CHANGED: _same(ACTIVE_STATES),
        EventKind.ALERTS_ATTACHED: _same(ACTIVE_STATES),
        EventKind.RESOLVED: dict.fromkeys(ACTIVE_STATES, _S.RESOLVED),
        EventKind.REOPENED: {_S.RESOLVED: _S.DIAGNOSING},
        EventKind.CORRELATED: _same(ACTIVE_STATES),
        EventKind.FLAPPING: _same(ACTIVE_STATES),
        EventKind.KNOWN_ISSUE: _same(OPEN_STATES),
        EventKind.PAUSED: _same(ACTIVE_STATES),
        EventKind.RESUMED: _same(ACTIVE_STATES),
        EventKind.CUSTOMER_UPDATE: _same(OPEN_STATES),
        EventKind.DEESCALATED: _same(ACTIVE_STATES),
        EventKind.CLOSED: {_S.RESOLVED: _S.CLOSED},
        EventKind.FALSE_POSITIVE: dict.fromkeys(OPEN_STATES, _S.FALSE_POSITIVE),
        EventKind.NOTE: _same(frozenset(IncidentState)),
        EventKind.RUNBOOK_STEP: _same(OPEN_STATES),
        EventKind.ACTION_RUN: _same(OPEN_STATES),
        # often the close sent after the incident was closed: possible in any state
        EventKind.TICKET_WRITE_DROPPED: _same(frozenset(IncidentState)),
    }
)
# what may be written in a terminal state: it changes the timeline (and, for a ticket
# delivered late, which ticket the incident names), never the state
ANNOTATIONS = frozenset({EventKind.NOTE, EventKind.TICKET_WRITE_DROPPED, EventKind.TICKETED})

_VERBS: Mapping[EventKind, str] = {
    EventKind.ACKNOWLEDGED: "acknowledge",
    EventKind.TICKETED: "log a ticket for",
    EventKind.ESCALATED: "escalate",
    EventKind.ASSIGNED: "assign",
    EventKind.SEVERITY_CHANGED: "change the severity of",
    EventKind.ALERTS_ATTACHED: "attach alerts to",
    EventKind.RESOLVED: "resolve",
    EventKind.REOPENED: "reopen",
    EventKind.CORRELATED: "re-root",
    EventKind.FLAPPING: "mark as flapping",
    EventKind.KNOWN_ISSUE: "badge",
    EventKind.PAUSED: "pause the SLA clocks of",
    EventKind.RESUMED: "resume the SLA clocks of",
    EventKind.CUSTOMER_UPDATE: "record a customer update for",
    EventKind.DEESCALATED: "de-escalate",
    EventKind.CLOSED: "close",
    EventKind.FALSE_POSITIVE: "mark as false positive",
    EventKind.NOTE: "add a note to",
    EventKind.RUNBOOK_STEP: "work the runbook of",
    EventKind.ACTION_RUN: "run a runbook action on",
    EventKind.TICKET_WRITE_DROPPED: "record a dropped ticket write on",
}


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One timestamped step in an incident's life.

    Attributes:
        at: when it happened (UTC).
        kind: what happened.
        actor: operator name, or `system` for the console's own steps.
        note: the operator's words (reason, RCA, ticket reference).
        data: structured details, e.g. {"from": "L1", "to": "L2"}.
    """

    at: datetime
    kind: EventKind
    actor: str
    note: str = ""
    data: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", ensure_utc(self.at))
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


SYSTEM = "system"
# what ends when an incident's clocks stop for good: a wait, and the customer-update countdown
_STOPPED: Mapping[str, Any] = MappingProxyType({"paused_since": None, "update_due": None})
FLAPPING = "flapping"
KNOWN_ISSUE = "known_issue"
AUTO_REMEDIATED = "auto_remediated"  # an auto-remediation policy ran a runbook action on it
_ALERT_EVENTS = frozenset(
    {EventKind.DETECTED, EventKind.ALERTS_ATTACHED, EventKind.REOPENED, EventKind.CORRELATED}
)


@dataclass(frozen=True, slots=True)
class Incident:
    """A snapshot of one incident.

    Attributes:
        id: storage id (None until stored); `key` (INC-000017) is derived from it.
        uid: globally unique id, so exports from several workstations merge safely.
        title: one line for the wall.
        customer: customer id, None when no alert said which.
        services: affected service ids; `root_service` is the root-cause candidate.
        severity: P1..P4.
        state: lifecycle state; `tier` the escalation tier; `owner` who has it.
        flags: engine markers such as `flapping` or `stale`.
        started_at: earliest alert start; `detected_at` when the console saw it.
        acknowledged_at, resolved_at, closed_at: lifecycle times, from the timeline.
        response_due, resolve_due: SLA deadlines from the customer's contract.
        alert_count, sources: how many alerts it holds and which sources sent them.
        ticket: the ticket key in the customer's ticketing system.
        rca: root cause written at closure.
        group_key: what the engine groups alerts by.
        recurrence_of: id of an earlier incident of the same group, if any.
        timeline: every event, oldest first.
        version: storage version, bumped on every stored change (optimistic locking).
        team: the owning team, from the catalog (the root service's owner).
        known_issue: id of the known-issue rule that matched it, if any.
        paused_since: when an operator stopped its SLA clocks (waiting on the customer).
        update_due: when the customer is due the next status update (P1/P2 by contract).
    """

    id: int | None
    uid: str
    title: str
    customer: str | None
    services: tuple[str, ...]
    root_service: str | None
    severity: Severity
    state: IncidentState
    tier: EscalationTier
    owner: str | None
    flags: frozenset[str]
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due: datetime | None
    resolve_due: datetime | None
    alert_count: int
    sources: tuple[str, ...]
    ticket: str | None
    rca: str | None
    group_key: str
    recurrence_of: int | None
    timeline: tuple[TimelineEvent, ...]
    version: int = 0
    team: str | None = None
    known_issue: str | None = None
    paused_since: datetime | None = None
    update_due: datetime | None = None

    # ------------------------------------------------------------------ creation

    @classmethod
    def detect(
        cls,
        *,
        title: str,
        customer: str | None,
        services: tuple[str, ...],
        severity: Severity,
        started_at: datetime,
        detected_at: datetime,
        group_key: str,
        policy: SlaPolicy | None,
        sources: tuple[str, ...] = (),
        alert_count: int = 0,
        root_service: str | None = None,
        recurrence_of: int | None = None,
        note: str = "",
        team: str | None = None,
        flags: frozenset[str] = frozenset(),
    ) -> Incident:
        """A new incident, as the engine opens it when alerts arrive."""
        detected_at = ensure_utc(detected_at)
        started_at = min(ensure_utc(started_at), detected_at)
        response_due, resolve_due = (
            policy.deadlines(severity, detected_at) if policy else (None, None)
        )
        return cls(
            id=None,
            uid=uuid.uuid4().hex,
            title=title,
            customer=customer,
            services=services,
            root_service=root_service,
            severity=severity,
            state=IncidentState.NEW,
            tier=EscalationTier.L1,
            owner=None,
            flags=flags,
            started_at=started_at,
            detected_at=detected_at,
            acknowledged_at=None,
            resolved_at=None,
            closed_at=None,
            response_due=response_due,
            resolve_due=resolve_due,
            alert_count=alert_count,
            sources=sources,
            ticket=None,
            rca=None,
            group_key=group_key,
            recurrence_of=recurrence_of,
            timeline=(
                TimelineEvent(
                    detected_at,
                    EventKind.DETECTED,
                    SYSTEM,
                    note,
                    {"severity": severity.value},
                ),
            ),
            team=team,
            update_due=_cadence_from(policy, severity, detected_at),
        )

    # ------------------------------------------------------------------ derived

    @property
    def key(self) -> str:
        return f"INC-{self.id:06d}" if self.id is not None else "INC-new"

    @property
    def last_event_at(self) -> datetime:
        return self.timeline[-1].at if self.timeline else self.detected_at

    @property
    def last_alert_at(self) -> datetime:
        """When alerts last joined: the grouping window runs from here."""
        for event in reversed(self.timeline):
            if event.kind in _ALERT_EVENTS:
                return event.at
        return self.detected_at

    @property
    def flapping(self) -> bool:
        return FLAPPING in self.flags

    @property
    def next_deadline(self) -> datetime | None:
        """The SLA deadline that runs now: response until acknowledged, then resolution."""
        if not self.state.active:
            return None
        if self.acknowledged_at is None and self.response_due is not None:
            return self.response_due
        return self.resolve_due

    @property
    def running_clock(self) -> str | None:
        """Which SLA clock `next_deadline` belongs to: 'response', 'resolve' or None."""
        if not self.state.active:
            return None
        if self.acknowledged_at is None and self.response_due is not None:
            return "response"
        return "resolve" if self.resolve_due is not None else None

    def urgency_key(self) -> tuple[int, float, int, float, int]:
        """Most urgent first: active before resolved, then time to breach, severity, age.

        Built only from stored timestamps, never from `now`, so the order does not
        move while the clocks tick; it changes only when the incident does.
        """
        deadline = self.next_deadline
        if self.state.active:
            return (
                0,
                deadline.timestamp() if deadline else float("inf"),
                self.severity.rank,
                self.detected_at.timestamp(),
                self.id or 0,
            )
        resolved = self.resolved_at or self.last_event_at
        return (
            1,
            -resolved.timestamp(),
            self.severity.rank,
            self.detected_at.timestamp(),
            self.id or 0,
        )

    def allows(self, kind: EventKind) -> bool:
        return self.state in TRANSITIONS[kind]

    # ------------------------------------------------------------------ actions

    def acknowledge(self, actor: str, now: datetime, note: str = "") -> Incident:
        if self.acknowledged_at is not None:
            raise IllegalTransition(f"{self.key} was already acknowledged")
        at = self._stamp(now)
        changes: dict[str, Any] = {"acknowledged_at": at}
        if self.owner is None:
            changes["owner"] = actor
        data = _verdict("response", self.response_due, self._clock_time(at))
        return self._record(EventKind.ACKNOWLEDGED, at, actor, note, data, **changes)

    def assign(self, owner: str, actor: str, now: datetime, note: str = "") -> Incident:
        owner = _required(owner, "an owner")
        data = {"from": self.owner or "", "to": owner}
        return self._record(EventKind.ASSIGNED, self._stamp(now), actor, note, data, owner=owner)

    def escalate(
        self,
        actor: str,
        now: datetime,
        reason: str,
        to_tier: EscalationTier | None = None,
    ) -> Incident:
        target = to_tier or self.tier.above()
        if self.allows(EventKind.ESCALATED) and (target is None or target.rank <= self.tier.rank):
            raise IllegalTransition(
                f"cannot escalate {self.key} from {self.tier} "
                + ("any further" if target is None else f"to {target}")
            )
        reason = _required(reason, "a reason to escalate")
        data = {"from": self.tier.value, "to": target.value if target else ""}
        return self._record(EventKind.ESCALATED, self._stamp(now), actor, reason, data, tier=target)

    def deescalate(
        self,
        actor: str,
        now: datetime,
        reason: str,
        to_tier: EscalationTier | None = None,
    ) -> Incident:
        """Back down a tier (or to `to_tier`): the expert is done, the tier below follows up.

        The tier timers then count from this moment, as after an escalation.
        """
        target = to_tier or _TIER_ORDER[max(self.tier.rank - 1, 0)]
        if self.allows(EventKind.DEESCALATED) and target.rank >= self.tier.rank:
            raise IllegalTransition(f"cannot de-escalate {self.key} from {self.tier} to {target}")
        reason = _required(reason, "a reason to de-escalate")
        data = {"from": self.tier.value, "to": target.value}
        return self._record(
            EventKind.DEESCALATED, self._stamp(now), actor, reason, data, tier=target
        )

    def log_ticket(self, ticket: str, actor: str, now: datetime, note: str = "") -> Incident:
        ticket = _required(ticket, "a ticket key")
        if self.ticket is not None and self.allows(EventKind.TICKETED):
            raise IllegalTransition(f"{self.key} already has ticket {self.ticket}")
        data = {"ticket": ticket}
        return self._record(EventKind.TICKETED, self._stamp(now), actor, note, data, ticket=ticket)

    def change_severity(
        self,
        severity: Severity,
        policy: SlaPolicy | None,
        actor: str,
        now: datetime,
        reason: str = "",
    ) -> Incident:
        """Re-target both SLA clocks from detection, as if it had had this severity all along."""
        if severity is self.severity:
            raise DomainError(f"{self.key} is already {severity}")
        response_due, resolve_due = (
            policy.deadlines(severity, self.detected_at) if policy else (None, None)
        )
        data = {"from": self.severity.value, "to": severity.value}
        return self._record(
            EventKind.SEVERITY_CHANGED,
            self._stamp(now),
            actor,
            reason,
            data,
            severity=severity,
            response_due=response_due,
            resolve_due=resolve_due,
            update_due=self.update_due or _cadence_from(policy, severity, now)
            if policy is not None and policy.update_cadence(severity) is not None
            else None,
        )

    def record_update(
        self, actor: str, now: datetime, note: str, cadence: timedelta | None
    ) -> Incident:
        """The customer was told where things stand: the update countdown starts again."""
        note = _required(note, "what the customer was told")
        at = self._stamp(now)
        due = at + cadence if cadence is not None and self.state.active else None
        return self._record(EventKind.CUSTOMER_UPDATE, at, actor, note, {}, update_due=due)

    def attach_alerts(
        self,
        count: int,
        now: datetime,
        *,
        services: tuple[str, ...] | None = None,
        sources: tuple[str, ...] | None = None,
        note: str = "",
    ) -> Incident:
        """New alerts joined: recorded once per batch, not once per alert."""
        changes: dict[str, Any] = {"alert_count": self.alert_count + count}
        if services is not None:
            changes["services"] = services
        if sources is not None:
            changes["sources"] = sources
        data = {"count": str(count)}
        return self._record(
            EventKind.ALERTS_ATTACHED, self._stamp(now), SYSTEM, note, data, **changes
        )

    def count_alerts(self, count: int, sources: tuple[str, ...] | None = None) -> Incident:
        """A flapping alert fired again: counted, but not announced (flaps never re-notify)."""
        return replace(self, alert_count=self.alert_count + count, sources=sources or self.sources)

    def correlate(
        self,
        root_service: str,
        now: datetime,
        *,
        title: str,
        team: str | None,
        services: tuple[str, ...],
        note: str,
    ) -> Incident:
        """A failing dependency joined: it becomes the root-cause candidate."""
        data = {"from": self.root_service or "", "to": root_service}
        return self._record(
            EventKind.CORRELATED,
            self._stamp(now),
            SYSTEM,
            note,
            data,
            root_service=root_service,
            title=title,
            team=team,
            services=services,
        )

    def set_flapping(self, flapping: bool, now: datetime, note: str) -> Incident:
        flags = self.flags | {FLAPPING} if flapping else self.flags - {FLAPPING}
        data = {"flapping": "yes" if flapping else "no"}
        return self._record(EventKind.FLAPPING, self._stamp(now), SYSTEM, note, data, flags=flags)

    def badge_known_issue(self, issue_id: str, now: datetime, note: str) -> Incident:
        data = {"known_issue": issue_id}
        flags = self.flags | {KNOWN_ISSUE}
        return self._record(
            EventKind.KNOWN_ISSUE,
            self._stamp(now),
            SYSTEM,
            note,
            data,
            known_issue=issue_id,
            flags=flags,
        )

    def resolve(self, actor: str, now: datetime, note: str = "") -> Incident:
        """The resolution clock stops (met or breached, in the event); a pause ends with it."""
        at = self._stamp(now)
        data = _verdict("resolve", self.resolve_due, self._clock_time(at))
        return self._record(EventKind.RESOLVED, at, actor, note, data, resolved_at=at, **_STOPPED)

    def pause(self, actor: str, now: datetime, reason: str) -> Incident:
        """Waiting on the customer: the running SLA clocks stop until `resume`."""
        if self.paused_since is not None and self.allows(EventKind.PAUSED):
            raise IllegalTransition(f"{self.key} is already waiting (since {self.paused_since})")
        reason = _required(reason, "a reason to pause the SLA clocks")
        at = self._stamp(now)
        return self._record(EventKind.PAUSED, at, actor, reason, {}, paused_since=at)

    def resume(
        self, actor: str, now: datetime, calendar: Calendar | None, note: str = ""
    ) -> Incident:
        """The clocks run again with the working time they had left when paused.

        Only clocks still running move (response until acknowledged, resolution until
        resolved), and only later: a clock already breached when paused stays breached.
        """
        if self.paused_since is None and self.allows(EventKind.RESUMED):
            raise IllegalTransition(f"{self.key} is not waiting on anyone")
        at = self._stamp(now)
        paused = self.paused_since or at
        changes: dict[str, Any] = {"paused_since": None}
        if calendar is not None:
            if self.acknowledged_at is None:
                changes["response_due"] = _pushed(self.response_due, paused, at, calendar)
            changes["resolve_due"] = _pushed(self.resolve_due, paused, at, calendar)
        data = {"paused_for": str(int((at - paused).total_seconds()))}
        return self._record(EventKind.RESUMED, at, actor, note, data, **changes)

    def reopen(
        self, actor: str, now: datetime, note: str = "", update_cadence: timedelta | None = None
    ) -> Incident:
        """A recurrence inside the watch window: back to diagnosis, resolution time cleared,
        and the customer-update countdown running again (when its contract has one)."""
        at = self._stamp(now)
        due = at + update_cadence if update_cadence is not None else None
        return self._record(
            EventKind.REOPENED, at, actor, note, {}, resolved_at=None, update_due=due
        )

    def close(self, actor: str, now: datetime, rca: str) -> Incident:
        if self.allows(EventKind.CLOSED):
            rca = _required(rca, "a root cause (RCA note) to close")
        at = self._stamp(now)
        return self._record(EventKind.CLOSED, at, actor, rca, {}, closed_at=at, rca=rca)

    def mark_false_positive(self, actor: str, now: datetime, reason: str) -> Incident:
        if self.allows(EventKind.FALSE_POSITIVE):
            reason = _required(reason, "a reason to mark a false positive")
        at = self._stamp(now)
        return self._record(
            EventKind.FALSE_POSITIVE, at, actor, reason, {}, closed_at=at, **_STOPPED
        )

    def add_note(self, actor: str, now: datetime, note: str) -> Incident:
        note = _required(note, "a note")
        return self._record(EventKind.NOTE, self._stamp(now), actor, note, {})

    def record_dropped_ticket_write(
        self, actor: str, now: datetime, reason: str, data: Mapping[str, str]
    ) -> Incident:
        """An operator dropped a ticket write that waited for attention; `data` says which
        (system, op, ticket, write in words, outbox row id), the reason is required."""
        reason = _required(reason, "a reason to drop a ticket write, for the timeline")
        return self._record(EventKind.TICKET_WRITE_DROPPED, self._stamp(now), actor, reason, data)

    def record_runbook(
        self, kind: EventKind, actor: str, now: datetime, note: str, data: Mapping[str, str]
    ) -> Incident:
        """A runbook step or action in the timeline; progress is read back from these events
        (app/domain/runbook_progress.py), so it survives restarts, exports and a second desk."""
        if kind not in (EventKind.RUNBOOK_STEP, EventKind.ACTION_RUN):
            raise DomainError(f"{kind.value} is not a runbook event")
        return self._record(kind, self._stamp(now), actor, note, data)

    # ------------------------------------------------------------------ internals

    def _clock_time(self, at: datetime) -> datetime:
        """Where the SLA clocks stand at `at`: while waiting on the customer they stopped
        when the wait began, so a clock stopped then is judged at that moment."""
        return min(at, self.paused_since) if self.paused_since is not None else at

    def _stamp(self, now: datetime) -> datetime:
        """Never let the timeline run backwards: a clock behind the last event is clamped.

        Workstations on a shared database disagree by seconds; an event stamped before
        the one it follows would make MTTA negative.
        """
        return max(ensure_utc(now), self.last_event_at)

    def _record(
        self,
        kind: EventKind,
        at: datetime,
        actor: str,
        note: str,
        data: Mapping[str, str],
        **changes: Any,
    ) -> Incident:
        next_state = TRANSITIONS[kind].get(self.state)
        if next_state is None:
            raise IllegalTransition(
                f"cannot {_VERBS.get(kind, kind.value)} {self.key}: it is {self.state.value}"
            )
        actor = _required(actor, "an actor")
        event = TimelineEvent(at, kind, actor, note.strip(), data)
        return replace(self, state=next_state, timeline=(*self.timeline, event), **changes)


def _cadence_from(policy: SlaPolicy | None, severity: Severity, start: datetime) -> datetime | None:
    cadence = policy.update_cadence(severity) if policy is not None else None
    return ensure_utc(start) + cadence if cadence is not None else None


def _verdict(clock: str, due: datetime | None, at: datetime) -> dict[str, str]:
    """Whether a stopping clock met its deadline, kept in the event for the metrics."""
    if due is None:
        return {}
    return {clock: "met" if at <= due else "breached"}


def _pushed(
    due: datetime | None, paused: datetime, resumed: datetime, calendar: Calendar
) -> datetime | None:
    if due is None or paused >= due:
        return due
    left = calendar.working_time(paused, due)
    return max(due, calendar.add(resumed, left))


def _required(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"this needs {what}")
    return value
