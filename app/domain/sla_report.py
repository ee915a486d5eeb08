"""The monthly SLA report per customer: its month, its breaches and why each was missed.

A breach is an incident of the customer's month (false positives aside) with a response
or resolution clock counted as missed by the compliance figures of
app/domain/service_metrics.py: a recorded `breached` verdict, a running clock past its
deadline at `now` (or at the start of the current wait on the customer), or a response
clock stopped by a resolution without acknowledgement after its deadline.

The reason given for a breach is what the incident's timeline holds about it, in order:
the escalations (tier to tier, with the operator's words), the waits on the customer
(paused to resumed, or still waiting), severity changes, reopenings, then the
resolution note and the root cause written at closure. The report quotes the timeline;
it does not guess a cause the operators did not write down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain.incident import EventKind, Incident, IncidentState
from app.domain.service_metrics import Figures, GroupCompliance, recorded_clocks
from app.domain.timestamps import ensure_utc

TREND_MONTHS = 6  # the report's trend table: this month and the five before it
BREACH_LIMIT = 500  # the breaches listed; a report with more says how many it left out
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def month_start(text: str) -> datetime:
    """The first instant (UTC) of a month written YYYY-MM; ValueError otherwise."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise ValueError(f"expected a month like 2026-11, got {text!r}")
    return datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC)


def add_months(start: datetime, months: int) -> datetime:
    """The first instant of the month `months` after (or before, if negative) `start`'s."""
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class MissedClock:
    """One SLA clock an incident missed.

    Attributes:
        clock: "response" or "resolution".
        due: its deadline (pushed back by waits on the customer, as the clock recorded).
        stopped_at: when it stopped (acknowledged, or resolved); None if still running.
        unanswered: a response clock stopped by a resolution without acknowledgement.
    """

    clock: str
    due: datetime
    stopped_at: datetime | None
    unanswered: bool = False


@dataclass(frozen=True, slots=True)
class Breach:
    """An incident of the report whose response or resolution clock was missed.

    Attributes:
        incident: the incident with its timeline.
        missed: the clocks it missed (one or two).
        reasons: what its timeline says about it, one line each (module docstring).
    """

    incident: Incident
    missed: tuple[MissedClock, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SlaReport:
    """Everything the monthly SLA report of one customer shows.

    Attributes:
        customer, customer_name: the customer's id and name in the catalog.
        month: the first instant of the month; `end` the first of the next.
        generated_at: `now` when it was computed (running clocks are judged then).
        period: every figure over the month (app/domain/service_metrics.py).
        by_severity: compliance per severity, P1 first, every severity listed.
        breaches: the breached incidents by detection, at most BREACH_LIMIT of them.
        breaches_left_out: breaches beyond that limit, not listed.
        trend: the figures of this month and the five before it, oldest first.
    """

    customer: str
    customer_name: str
    month: datetime
    end: datetime
    generated_at: datetime
    period: Figures
    by_severity: tuple[GroupCompliance, ...]
    breaches: tuple[Breach, ...]
    breaches_left_out: int
    trend: tuple[Figures, ...]


def missed_clocks(incident: Incident, now: datetime) -> tuple[MissedClock, ...]:
    """The clocks of an incident counted as missed (the SLA part of service_metrics)."""
    now = ensure_utc(now)
    if incident.state is IncidentState.FALSE_POSITIVE:
        return ()  # in no compliance figure
    running = incident.state.active  # a clock still running counts only while active
    clocks = recorded_clocks(incident)
    judged = incident.paused_since if incident.paused_since and incident.paused_since < now else now
    missed: list[MissedClock] = []
    response_due, resolve_due = incident.response_due, incident.resolve_due
    if response_due is not None:
        if incident.acknowledged_at is not None:
            if clocks.response_met is False:
                missed.append(MissedClock("response", response_due, incident.acknowledged_at))
        elif incident.resolved_at is not None:
            if incident.resolved_at > response_due:
                missed.append(MissedClock("response", response_due, None, unanswered=True))
        elif running and response_due <= judged:
            missed.append(MissedClock("response", response_due, None))
    if resolve_due is not None:
        if incident.resolved_at is not None:
            if clocks.resolve_met is False:
                missed.append(MissedClock("resolution", resolve_due, incident.resolved_at))
        elif running and resolve_due <= judged:
            missed.append(MissedClock("resolution", resolve_due, None))
    return tuple(missed)


def breach_reasons(incident: Incident, now: datetime) -> tuple[str, ...]:
    """What the timeline says about a breach, one line per event that bears on it.

    The report goes to the customer: what the customer was already told (customer
    updates) is quoted, the desk's own notes and runbook steps are not (they are written
    for colleagues, and may name other customers' systems)."""
    reasons: list[str] = []
    waiting: tuple[datetime, str] | None = None
    for event in incident.timeline:
        words = f": {event.note}" if event.note else ""
        if event.kind is EventKind.ESCALATED:
            step = f"{event.data.get('from', '?')} to {event.data.get('to') or '?'}"
            reasons.append(f"escalated {step} at {_stamp(event.at)} by {event.actor}{words}")
        elif event.kind is EventKind.SEVERITY_CHANGED:
            step = f"{event.data.get('from', '?')} to {event.data.get('to', '?')}"
            reasons.append(f"severity changed {step} at {_stamp(event.at)}{words}")
        elif event.kind is EventKind.PAUSED:
            waiting = (event.at, event.note)
        elif event.kind is EventKind.RESUMED and waiting is not None:
            reasons.append(_wait(waiting, event.at))
            waiting = None
        elif event.kind is EventKind.REOPENED:
            reasons.append(f"reopened at {_stamp(event.at)}{words}")
        elif event.kind is EventKind.CUSTOMER_UPDATE:
            reasons.append(f"customer told at {_stamp(event.at)}{words}")
    if waiting is not None:
        reasons.append(_wait(waiting, None, now))
    resolutions = [e for e in incident.timeline if e.kind is EventKind.RESOLVED and e.note]
    if resolutions:
        reasons.append(f"resolution note: {resolutions[-1].note}")
    if incident.rca:
        reasons.append(f"root cause: {incident.rca}")
    if not reasons:
        reasons.append(
            "no escalation, wait on the customer, customer update or resolution note in the timeline"
        )
    return tuple(reasons)


def breach(incident: Incident, now: datetime) -> Breach | None:
    """The incident as a breach of the report, or None if it missed no clock."""
    missed = missed_clocks(incident, now)
    return Breach(incident, missed, breach_reasons(incident, now)) if missed else None


def _wait(
    started: tuple[datetime, str], ended: datetime | None, now: datetime | None = None
) -> str:
    at, note = started
    words = f": {note}" if note else ""
    if ended is None:
        assert now is not None
        return f"waiting on the customer since {_stamp(at)} ({span_words(now - at)} so far){words}"
    return (
        f"waited on the customer {_stamp(at)} to {_stamp(ended)} ({span_words(ended - at)}){words}"
    )


def _stamp(instant: datetime) -> str:
    """UTC, as the report says once for all its times."""
    return ensure_utc(instant).strftime("%Y-%m-%d %H:%M")


def span_words(span: timedelta) -> str:
    """'1d 2h 5m', '40m', '0m': whole minutes, the way the report writes lengths."""
    minutes = max(int(span.total_seconds()) // 60, 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return " ".join(parts)
