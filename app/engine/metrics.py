"""Service metrics from incident timestamps: MTTD, MTTA, MTTR, SLA compliance, recurrence.

Definitions (the README repeats them; this is the one place they are computed):
- MTTD = detected_at - started_at: how long a problem ran before the console saw it.
- MTTA = acknowledged_at - detected_at: first response, over acknowledged incidents.
- MTTR = resolved_at - detected_at: over resolved incidents (a reopened one counts its
  final resolution).
- SLA compliance: the share of incidents whose clock was met. A response clock is met
  when the acknowledgement came by `response_due`, breached when it came later or when
  `now` is past the due time with no acknowledgement; a clock still running and not
  yet due counts neither way. Resolution likewise with `resolve_due`.
- Recurrence: the share of incidents that reopened or recur an incident of the same
  group detected within 30 days.
- False positives are excluded from every figure but `false_positive_pct` (their share
  of all incidents, the noise figure).
- Percentiles interpolate linearly between ranks (PostgreSQL's percentile_cont).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.domain.incident import IncidentState
from app.domain.metrics import IncidentTimes


@dataclass(frozen=True, slots=True)
class Summary:
    """Median, 90th percentile and mean of a set of durations, in seconds (None if empty)."""

    median: float | None
    p90: float | None
    mean: float | None
    count: int


@dataclass(frozen=True, slots=True)
class Metrics:
    incidents: int
    mttd: Summary
    mtta: Summary
    mttr: Summary
    response_met_pct: float | None
    resolve_met_pct: float | None
    recurrence_pct: float | None
    false_positive_pct: float | None


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, as percentile_cont does."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * fraction
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return sorted_values[lower]
    weight = position - lower
    return sorted_values[lower] * (1 - weight) + sorted_values[upper] * weight


def summarize(durations: Sequence[float]) -> Summary:
    values = sorted(durations)
    if not values:
        return Summary(None, None, None, 0)
    return Summary(
        median=round(percentile(values, 0.5), 1),
        p90=round(percentile(values, 0.9), 1),
        mean=round(sum(values) / len(values), 1),
        count=len(values),
    )


def _clock_met(done: datetime | None, due: datetime | None, now: datetime) -> bool | None:
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if now > due else None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def compute(times: Sequence[IncidentTimes], now: datetime) -> Metrics:
    real = [t for t in times if t.state is not IncidentState.FALSE_POSITIVE]
    response = [
        m for t in real if (m := _clock_met(t.acknowledged_at, t.response_due, now)) is not None
    ]
    resolve = [m for t in real if (m := _clock_met(t.resolved_at, t.resolve_due, now)) is not None]
    return Metrics(
        incidents=len(times),
        mttd=summarize([(t.detected_at - t.started_at).total_seconds() for t in real]),
        mtta=summarize(
            [(t.acknowledged_at - t.detected_at).total_seconds() for t in real if t.acknowledged_at]
        ),
        mttr=summarize(
            [(t.resolved_at - t.detected_at).total_seconds() for t in real if t.resolved_at]
        ),
        response_met_pct=_pct(sum(response), len(response)),
        resolve_met_pct=_pct(sum(resolve), len(resolve)),
        recurrence_pct=_pct(sum(t.recurred for t in real), len(real)),
        false_positive_pct=_pct(len(times) - len(real), len(times)),
    )
