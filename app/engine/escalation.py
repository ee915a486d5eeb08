"""Escalation by timer and the SLA crossings worth a notification, both pure over `now`.

An active incident climbs one tier (L1 -> L2 -> L3 -> ENG) when it has spent its
severity's timer in its tier: the `escalation` timers while nobody has acknowledged it,
the `escalation_unresolved` ones once someone has. Time counts from entering the tier
(detection, or the last escalation or de-escalation); an incident waiting on the customer does not climb.
Timers are wall-clock time: escalation is about people answering, not contract hours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from app.domain.incident import SYSTEM, EventKind, Incident
from app.domain.notifications import Notification, NotificationKind
from app.domain.policy import Policies
from app.domain.triage_rules import span_text
from app.engine.sla_clock import ClockReading, SlaState


def entered_tier_at(incident: Incident) -> datetime:
    for event in reversed(incident.timeline):
        if event.kind in (EventKind.ESCALATED, EventKind.DEESCALATED):
            return event.at
    return incident.detected_at


def timer_for(incident: Incident, policies: Policies) -> timedelta | None:
    timers = (
        policies.escalation if incident.acknowledged_at is None else policies.escalation_unresolved
    )
    return timers.get(incident.severity, {}).get(incident.tier)


def due_escalations(
    incidents: Iterable[Incident], policies: Policies, now: datetime
) -> list[tuple[Incident, Incident, Notification]]:
    """(before, after, notice) for each incident whose tier timer ran out."""
    found: list[tuple[Incident, Incident, Notification]] = []
    for incident in incidents:
        target = incident.tier.above()
        if not incident.state.active or incident.paused_since is not None or target is None:
            continue
        limit = timer_for(incident, policies)
        if limit is None or now - entered_tier_at(incident) < limit:
            continue
        waited = "acknowledged" if incident.acknowledged_at is None else "resolved"
        reason = f"not {waited} within {span_text(limit)} in {incident.tier.value}"
        after = incident.escalate(SYSTEM, now, reason, target)
        team = policies.team_for(target, incident.team)
        to_whom = f" ({team})" if team else ""
        text = f"{incident.key} escalated to {target.value}{to_whom}: {reason}"
        notice = Notification.about(
            incident, NotificationKind.ESCALATED, now, text, team, target.value
        )
        found.append((incident, after, notice))
    return found


def sla_crossings(
    incidents: Iterable[Incident],
    since: datetime,
    now: datetime,
    read: Callable[[Incident, datetime], ClockReading],
) -> list[Notification]:
    """Clocks that passed an at-risk mark or their deadline between `since` and `now`."""
    found: list[Notification] = []
    for incident in incidents:
        if not incident.state.active or incident.id is None:
            continue
        due = incident.update_due
        if due is not None and since < due <= now:
            text = f"{incident.key} customer update due: {incident.title}"
            found.append(
                Notification.about(incident, NotificationKind.UPDATE_DUE, now, text, incident.team)
            )
        before, after = read(incident, since), read(incident, now)
        if after.level <= before.level or after.state is SlaState.PAUSED:
            continue
        if after.state is SlaState.BREACHED:
            kind, what = NotificationKind.BREACHED, "breached"
        else:
            kind, what = NotificationKind.AT_RISK, f"{round((after.used or 0) * 100)}% used"
        text = f"{incident.key} {after.clock} SLA {what}: {incident.title}"
        found.append(Notification.about(incident, kind, now, text, incident.team))
    return found


class SlaWatch:
    """`sla_crossings` for a caller that asks every second (the wall's tick).

    Reading 2,000 clocks twice a second cost 34 ms of the GUI thread; the watch remembers,
    per incident version, when its next crossing can come, and reads only the incidents
    whose moment has arrived. Incidents no longer passed in are forgotten.
    """

    def __init__(
        self,
        read: Callable[[Incident, datetime], ClockReading],
        upcoming: Callable[[Incident, datetime], datetime | None],
    ) -> None:
        self._read = read
        self._upcoming = upcoming
        self._next: dict[int, tuple[int, datetime | None]] = {}

    def crossings(
        self, incidents: Iterable[Incident], since: datetime, now: datetime
    ) -> list[Notification]:
        due: list[Incident] = []
        known: dict[int, tuple[int, datetime | None]] = {}
        for incident in incidents:
            if incident.id is None:
                continue
            cached = self._next.get(incident.id)
            if cached is None or cached[0] != incident.version:
                cached = (incident.version, self._upcoming(incident, since))
            if cached[1] is not None and cached[1] <= now:
                due.append(incident)
                cached = (incident.version, self._upcoming(incident, now))
            known[incident.id] = cached
        self._next = known
        return sla_crossings(due, since, now, self._read)
