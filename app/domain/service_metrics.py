"""Service metrics: what MTTD, MTTA, MTTR, SLA compliance, recurrence and noise mean here.

This docstring is the one place the figures are defined; the README quotes it, and the
SQL that computes them (app/store/service_metrics.py) follows it line by line.

Which incidents
    An incident belongs to a period by `detected_at`, the instant the console saw it:
    periods are half-open, [start, end). The customer filter matches the incident's
    customer, the severity filter its current severity. Incidents marked false positive
    count only in the noise figures (false-positive rate, alerts per incident); every
    other figure leaves them out.

Durations (seconds; for each: count, mean, median and p90)
    MTTD = detected_at - started_at, over every incident of the period, open ones
      included (both instants are known from the moment of detection).
    MTTA = acknowledged_at - detected_at, over the incidents acknowledged so far, open or
      not. One nobody acknowledged (yet, or ever: it resolved by itself) is not counted.
    MTTR = resolved_at - detected_at, over the incidents resolved now (state resolved or
      closed). One still open is not counted; a reopened one is not counted until it is
      resolved again, and then from detection to that last resolution.
    Percentiles interpolate linearly between the two closest ranks, as PostgreSQL's
    percentile_cont does: of n values sorted v[0] <= ... <= v[n-1], the p-quantile sits
    at h = (n - 1) * p and is v[floor h] + (h - floor h) * (v[ceil h] - v[floor h]).
    The median is p = 1/2, p90 is p = 9/10. Ranks and interpolation are computed exactly
    on integer milliseconds (no floating-point rank), so SQLite and PostgreSQL give the
    same value to the last bit. The mean is the sum over the count. With no value, the
    count is 0 and mean, median and p90 are None.

SLA compliance (response and resolution apart)
    The share of counted clocks that were met, in percent; None when none counts.
    - A clock that stopped counts as the SLA clocks recorded it when it stopped: the
      response clock's verdict at acknowledgement, the resolution clock's at the last
      resolution. Time spent waiting on the customer is already out of these verdicts
      (resuming pushes the deadline; a clock stopped while waiting is judged when the
      wait began). An incident stored without a recorded verdict (before verdicts were
      recorded) is judged the same way from its stored times: met if it was
      acknowledged (resolved) by its deadline.
    - A clock still running (the incident is open, new to diagnosing, and not yet
      acknowledged, or not yet resolved) counts as missed once `now` has reached its
      deadline (as the wall shows it breached), or once the start of the current wait
      had, if the incident waits on the customer; until then it is not counted either
      way.
    - A response clock that stopped without an acknowledgement (the incident was
      resolved unacknowledged) counts as missed if its deadline had passed when the
      incident was resolved, and is not counted otherwise.
    - An incident without deadlines (no contract) counts in neither.

Recurrence
    The share of the period's incidents that recurred: reopened at least once (a
    recurrence inside the validation window reopens an incident), or `recurrence_of` an
    earlier incident detected at most 30 days before them. Open incidents count.
    The top recurring (service, alertname) pairs: the pairs of the alerts those
    recurring incidents hold, by the number of recurring incidents holding the pair,
    most first; ties by service, then alertname, an alert without service first.

Noise (false positives included)
    false-positive rate = false positives / all incidents of the period, in percent.
    alerts per incident = alerts the period's incidents hold / those incidents.

Buckets (for charts)
    UTC calendar days, ISO weeks (from Monday 00:00 UTC) and calendar months, cut to the
    period; a bucket holds the incidents detected in it, and every figure above is
    computed per bucket as for a period. Empty buckets are kept (counts 0, None figures),
    so a chart's time axis has no gaps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from app.domain.incident import EventKind, Incident
from app.domain.severity import Severity
from app.domain.timestamps import ensure_utc

RECURRENCE_WINDOW = timedelta(days=30)
# the quantiles reported, as exact fractions (numerator, denominator)
MEDIAN = (1, 2)
P90 = (9, 10)


class Bucket(StrEnum):
    """The width of a chart's time buckets."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class MetricsScope:
    """Which incidents the figures are over.

    Attributes:
        start, end: the period [start, end) of `detected_at`; None leaves that side open
            (both None: all history).
        customer: only this customer's incidents (None: every customer).
        severity: only incidents of this (current) severity (None: every severity).
    """

    start: datetime | None = None
    end: datetime | None = None
    customer: str | None = None
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.start is not None:
            object.__setattr__(self, "start", ensure_utc(self.start))
        if self.end is not None:
            object.__setattr__(self, "end", ensure_utc(self.end))
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, slots=True)
class Durations:
    """One duration figure (MTTD, MTTA or MTTR) over a set of incidents, in seconds."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True, slots=True)
class Compliance:
    """One SLA clock (response or resolution) over a set of incidents.

    Attributes:
        met: clocks met.
        counted: clocks counted (met or missed; see the module docstring for which).
    """

    met: int = 0
    counted: int = 0

    @property
    def missed(self) -> int:
        return self.counted - self.met

    @property
    def pct(self) -> float | None:
        return 100.0 * self.met / self.counted if self.counted else None


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of the module docstring over one period or one chart bucket.

    Attributes:
        start, end: the period or bucket, [start, end); None where the scope is open.
        incidents: incidents detected in it, false positives included.
        false_positives: those of them marked false positive.
        alerts: alerts they hold (false positives included).
        mttd, mtta, mttr: the duration figures, false positives left out.
        response, resolve: SLA compliance of the two clocks.
        recurring: incidents (false positives left out) that recurred.
        by_severity: incidents (false positives left out) per severity, every severity
            present (0 when none).
    """

    start: datetime | None
    end: datetime | None
    incidents: int = 0
    false_positives: int = 0
    alerts: int = 0
    mttd: Durations = field(default_factory=Durations)
    mtta: Durations = field(default_factory=Durations)
    mttr: Durations = field(default_factory=Durations)
    response: Compliance = field(default_factory=Compliance)
    resolve: Compliance = field(default_factory=Compliance)
    recurring: int = 0
    by_severity: Mapping[Severity, int] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(Severity, 0))
    )

    @property
    def real_incidents(self) -> int:
        """Incidents that were not false positives: the base of recurrence."""
        return self.incidents - self.false_positives

    @property
    def recurrence_pct(self) -> float | None:
        real = self.real_incidents
        return 100.0 * self.recurring / real if real else None

    @property
    def false_positive_pct(self) -> float | None:
        return 100.0 * self.false_positives / self.incidents if self.incidents else None

    @property
    def alerts_per_incident(self) -> float | None:
        return self.alerts / self.incidents if self.incidents else None


@dataclass(frozen=True, slots=True)
class GroupCompliance:
    """SLA compliance of one customer or one severity.

    Attributes:
        key: the customer id (None: incidents that named no customer) or the severity.
        incidents: incidents of the group in the scope (false positives left out).
        response, resolve: the two clocks' compliance.
    """

    key: str | None
    incidents: int
    response: Compliance
    resolve: Compliance


@dataclass(frozen=True, slots=True)
class RecurringPair:
    """A (service, alertname) pair and how many recurring incidents hold an alert of it."""

    service: str | None
    alertname: str
    incidents: int


@dataclass(frozen=True, slots=True)
class MetricsReport:
    """What the metrics view shows: the period, its chart buckets and the breakdowns."""

    scope: MetricsScope
    bucket: Bucket
    period: Figures
    series: tuple[Figures, ...]
    sla_by_customer: tuple[GroupCompliance, ...]
    sla_by_severity: tuple[GroupCompliance, ...]
    top_recurring: tuple[RecurringPair, ...]


# ---------------------------------------------------------------------- percentiles


def quantile_ranks(count: int, fraction: tuple[int, int]) -> tuple[int, int, int]:
    """(lower rank, upper rank, remainder) of a quantile of `count` sorted values.

    With h = (count - 1) * num / den, the ranks are floor h and ceil h (0-based) and the
    remainder is the numerator of h - floor h over `den`: integers only, so the value is
    exact and the same wherever it is computed.
    """
    if count <= 0:
        raise ValueError("no values")
    numerator, denominator = fraction
    position = (count - 1) * numerator
    lower, remainder = divmod(position, denominator)
    return lower, lower + (1 if remainder else 0), remainder


def interpolated_seconds(
    lower_ms: int, upper_ms: int, remainder: int, fraction: tuple[int, int]
) -> float:
    """The quantile in seconds from its two neighbouring values in milliseconds.

    lower + (upper - lower) * remainder / den, divided by 1000 in one correctly rounded
    integer division.
    """
    denominator = fraction[1]
    return (lower_ms * denominator + (upper_ms - lower_ms) * remainder) / (denominator * 1000)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The same interpolation over values already in memory (the noise report's medians)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    weight = position - lower
    return sorted_values[lower] * (1 - weight) + sorted_values[upper] * weight


def mean_seconds(total_ms: int, count: int) -> float | None:
    return total_ms / (count * 1000) if count else None


# ---------------------------------------------------------------------- buckets

_DAY = timedelta(days=1)


def bucket_floor(instant: datetime, bucket: Bucket) -> datetime:
    """The start of the UTC day, ISO week (Monday) or calendar month holding `instant`."""
    instant = ensure_utc(instant)
    day = datetime(instant.year, instant.month, instant.day, tzinfo=UTC)
    if bucket is Bucket.DAY:
        return day
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def bucket_after(start: datetime, bucket: Bucket) -> datetime:
    """The start of the bucket after the one starting at `start`."""
    if bucket is Bucket.DAY:
        return start + _DAY
    if bucket is Bucket.WEEK:
        return start + 7 * _DAY
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def bucket_bounds(
    start: datetime, end: datetime, bucket: Bucket
) -> list[tuple[datetime, datetime]]:
    """The buckets covering [start, end), the first and last cut to the period."""
    start, end = ensure_utc(start), ensure_utc(end)
    bounds: list[tuple[datetime, datetime]] = []
    low = start
    while low < end:
        high = min(bucket_after(bucket_floor(low, bucket), bucket), end)
        bounds.append((low, high))
        low = high
    return bounds


# ---------------------------------------------------------------------- recorded clocks


@dataclass(frozen=True, slots=True)
class RecordedClocks:
    """What an incident's timeline recorded for the metrics, kept beside it in storage.

    Attributes:
        response_met: the response clock's verdict (None: not stopped by an
            acknowledgement, or no deadline).
        resolve_met: the resolution clock's verdict at the last resolution (None: not
            resolved now, or no deadline).
        reopened: it was reopened at least once.
    """

    response_met: bool | None
    resolve_met: bool | None
    reopened: bool


def recorded_clocks(incident: Incident) -> RecordedClocks:
    """The verdicts the SLA clocks recorded in the timeline (module docstring, SLA).

    The acknowledgement and each resolution record `response|resolve: met|breached`; an
    incident with no recorded verdict (stored before verdicts were) is judged from its
    stored times, as the wall's clock reading does.
    """
    response: bool | None = None
    resolve: bool | None = None
    reopened = False
    for event in incident.timeline:
        if event.kind is EventKind.ACKNOWLEDGED:
            response = _verdict(event.data.get("response"))
        elif event.kind is EventKind.RESOLVED:
            resolve = _verdict(event.data.get("resolve"))
        elif event.kind is EventKind.REOPENED:
            reopened = True
    if response is None and incident.acknowledged_at and incident.response_due:
        response = incident.acknowledged_at <= incident.response_due
    if incident.resolved_at is None:
        resolve = None
    elif resolve is None and incident.resolve_due is not None:
        resolve = incident.resolved_at <= incident.resolve_due
    return RecordedClocks(response, resolve, reopened)


def _verdict(value: str | None) -> bool | None:
    return None if value is None else value == "met"
