"""Reading an incident's SLA clocks at `now`: which runs, when it is due, how much is used.

Pure and cheap: the wall reads every visible incident's clock each second, so a reading
is a few comparisons for 24x7 contracts and one pass over the days in between for
business-hours ones. Deadlines themselves are stored on the incident (absolute instants);
nothing here writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from app.domain.incident import EventKind, Incident, IncidentState
from app.domain.sla import Calendar, SlaPolicy

_DAY = timedelta(days=1)


class SlaState(StrEnum):
    """What the wall and `incidents --json` say of an incident's running clock."""

    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"


class ClockReading(NamedTuple):
    """One incident's SLA at one instant.

    Attributes:
        state: ok, at_risk, breached, paused or met.
        clock: "response" or "resolve" (the one that runs, or that stopped last).
        due: its deadline, if the contract has one.
        used: share of the target's working time used so far (None without a deadline).
        level: 0 fine, 1 past the first at-risk mark, 2 past the second, 3 breached.

    A named tuple, not a frozen dataclass: the wall builds thousands a second, and a
    frozen dataclass's __init__ costs several times as much.
    """

    state: SlaState
    clock: str | None
    due: datetime | None
    used: float | None
    level: int


def read_clock(
    incident: Incident,
    now: datetime,
    contract: SlaPolicy,
    at_risk: tuple[float, float] = (0.5, 0.75),
) -> ClockReading:
    """The running clock of `incident` at `now`, through its customer's contract."""
    if not incident.state.active:
        return _stopped(incident)
    clock = incident.running_clock
    due = incident.next_deadline
    target = contract.targets.get(incident.severity)
    if clock is None or due is None or target is None:
        return ClockReading(SlaState.OK, clock, due, None, 0)
    length = target.response if clock == "response" else target.resolve
    since = incident.paused_since or now
    used = _used(min(now, since), due, length, contract.calendar_for(incident.severity))
    if incident.paused_since is not None:
        level = 3 if incident.paused_since >= due else 0
        return ClockReading(SlaState.PAUSED, clock, due, used, level)
    if now >= due:
        return ClockReading(SlaState.BREACHED, clock, due, used, 3)
    level = 2 if used >= at_risk[1] else 1 if used >= at_risk[0] else 0
    return ClockReading(SlaState.AT_RISK if level else SlaState.OK, clock, due, used, level)


def next_change(
    incident: Incident,
    now: datetime,
    contract: SlaPolicy,
    at_risk: tuple[float, float] = (0.5, 0.75),
) -> datetime | None:
    """The first instant after `now` at which `read_clock` would say something new (an
    at-risk mark, the deadline) or a customer update falls due; None if nothing will.

    Lets a caller that polls every second skip every incident with nothing coming up.
    """
    found: list[datetime] = []
    if incident.update_due is not None:
        found.append(incident.update_due)
    clock, due = incident.running_clock, incident.next_deadline
    target = contract.targets.get(incident.severity)
    if incident.paused_since is None and clock is not None and due is not None and target:
        calendar = contract.calendar_for(incident.severity)
        length = _effective(target.response if clock == "response" else target.resolve, calendar)
        found.extend(calendar.before(due, length * (1 - mark)) for mark in at_risk)
        found.append(due)
    return min((at for at in found if at > now), default=None)


def _effective(target: timedelta, calendar: Calendar) -> timedelta:
    """A target as working time: whole days on a business calendar are business days."""
    if not calendar.always and target % _DAY == timedelta(0):
        return (target // _DAY) * calendar.day_length
    return target


def _used(at: datetime, due: datetime, target: timedelta, calendar: Calendar) -> float:
    """1 - (working time left) / (the target): time spent waiting on the customer, which
    pushed the deadline, is not counted as used."""
    left = due - at if calendar.always else calendar.working_time(at, due)
    target = _effective(target, calendar)
    if target <= timedelta(0):
        return 1.0
    return max(0.0, 1 - left / target)


def _stopped(incident: Incident) -> ClockReading:
    """A finished incident: its resolution clock met or breached (a false positive met)."""
    due = incident.resolve_due
    if incident.state is IncidentState.FALSE_POSITIVE or due is None:
        return ClockReading(SlaState.MET, "resolve", due, None, 0)
    for event in reversed(incident.timeline):  # the verdict recorded when the clock stopped
        if event.kind is EventKind.RESOLVED and "resolve" in event.data:
            met = event.data["resolve"] == "met"
            return ClockReading(
                SlaState.MET if met else SlaState.BREACHED, "resolve", due, None, 0 if met else 3
            )
    finished = incident.resolved_at or incident.closed_at or incident.last_event_at
    if finished <= due:
        return ClockReading(SlaState.MET, "resolve", due, None, 0)
    return ClockReading(SlaState.BREACHED, "resolve", due, None, 3)
