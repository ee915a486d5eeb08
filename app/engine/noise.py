"""The noise report: alert rules ranked by how much noise they make, each with a tuning hint.

From the raw figures of app/store/noise.py, per rule (`alertname`):
- volume: its occurrences in the period; `share_pct` their share of all occurrences.
- false_positive_pct: the share of the incidents its alerts went into that an operator
  marked false positive (None when none of its alerts reached an incident).
- flapping_pct: the share of its occurrences the triage engine found flapping.
- suppressed_pct: the share of its occurrences held out of every incident (silenced,
  inhibited, in maintenance).
- median_duration: seconds from first seen to cleared, median over the occurrences that
  cleared (None if none did); it is only trusted for a hint from `MIN_CLEARED` of them.
- score = share_pct x (1 + fp + flapping + suppressed + short), where fp, flapping and
  suppressed are the percentages above as fractions (a missing one counts 0) and short is 1
  when the median duration is trusted and at most `SHORT_MEDIAN`, else 0. So a rule's
  share of the traffic is weighted up to five times by how much of it is noise; a loud
  rule whose alerts are all real keeps its share as its score.
Rules rank by score, then volume (both highest first), then name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from app.domain.noise import RuleFigures
from app.domain.service_metrics import percentile

# a hint is given from these levels up (percentages as shown, rounded to one decimal)
FALSE_POSITIVE_PCT = 25.0
FLAPPING_PCT = 20.0
SUPPRESSED_PCT = 50.0
# half its alerts clearing this fast means the rule fires before the problem is real
SHORT_MEDIAN = timedelta(minutes=2)
# fewer cleared occurrences than this say nothing about a rule's typical duration
MIN_CLEARED = 3
# the `for:` each hint proposes: longer for flapping, which needs hysteresis too
FLAPPING_FOR = "10m"
SHORT_FOR = "5m"

NO_CHANGE = "no change suggested"


@dataclass(frozen=True, slots=True)
class RuleNoise:
    """One rule's line in the report; percentages rounded to one decimal (see module docstring).

    Attributes:
        alertname, sources: the rule and the sources that raised it.
        volume, share_pct: its occurrences, and their share of all of the period's.
        fingerprints, incidents: distinct alerts among them, and incidents they went into.
        false_positive_pct, flapping_pct, suppressed_pct: None where there is no base.
        median_duration: seconds, None if no occurrence cleared.
        services, customers: how many distinct ones its alerts named.
        score: the ranking figure; suggestion: the tuning hint, or `NO_CHANGE`.
    """

    alertname: str
    sources: tuple[str, ...]
    volume: int
    share_pct: float
    fingerprints: int
    incidents: int
    false_positive_pct: float | None
    flapping_pct: float | None
    suppressed_pct: float | None
    median_duration: float | None
    services: int
    customers: int
    score: float
    suggestion: str


@dataclass(frozen=True, slots=True)
class NoiseReport:
    """Every rule of a period, noisiest first.

    Attributes:
        alerts: occurrences of all rules in the period.
        rules: one line per rule, ranked.
    """

    alerts: int
    rules: tuple[RuleNoise, ...]


def rank(figures: Iterable[RuleFigures]) -> NoiseReport:
    """Rank the rules by score, then volume, then name; see the module docstring."""
    rules = [f for f in figures if f.occurrences > 0]
    total = sum(f.occurrences for f in rules)
    lines = [_line(f, total) for f in rules]
    lines.sort(key=lambda line: (-line.score, -line.volume, line.alertname))
    return NoiseReport(alerts=total, rules=tuple(lines))


def median_duration(durations: Iterable[float]) -> float | None:
    values = sorted(durations)
    return round(percentile(values, 0.5), 1) if values else None


def short_lived(median: float | None, cleared: int) -> bool:
    """Half its alerts clear within `SHORT_MEDIAN`, on enough cleared ones to say so."""
    return median is not None and cleared >= MIN_CLEARED and median <= SHORT_MEDIAN.total_seconds()


def noise_score(
    share_pct: float,
    false_positive_pct: float | None,
    flapping_pct: float | None,
    suppressed_pct: float | None,
    *,
    short: bool,
) -> float:
    weight = 1.0 + sum(
        (pct or 0.0) / 100 for pct in (false_positive_pct, flapping_pct, suppressed_pct)
    )
    return round(share_pct * (weight + (1.0 if short else 0.0)), 1)


def suggestion(
    false_positive_pct: float | None,
    flapping_pct: float | None,
    suppressed_pct: float | None,
    *,
    short: bool,
) -> str:
    """Every hint that applies, most fundamental first, joined by "; "; or `NO_CHANGE`.

    A flapping rule gets the hysteresis hint only: its longer `for:` covers the short one.
    """
    hints: list[str] = []
    if suppressed_pct is not None and suppressed_pct >= SUPPRESSED_PCT:
        hints.append(
            f"it is silenced or in maintenance {suppressed_pct:.0f}% of the time: "
            "fix or retire the rule"
        )
    if false_positive_pct is not None and false_positive_pct >= FALSE_POSITIVE_PCT:
        hints.append(
            "raise the threshold or tighten the expression: "
            f"{false_positive_pct:.0f}% of its incidents were false positives"
        )
    if flapping_pct is not None and flapping_pct >= FLAPPING_PCT:
        hints.append(
            f"add hysteresis or a longer `for:` (e.g. for: {FLAPPING_FOR}): "
            f"{flapping_pct:.0f}% of occurrences flapped"
        )
    elif short:
        hints.append(f"add `for: {SHORT_FOR}`: half its alerts clear within {_span(SHORT_MEDIAN)}")
    return "; ".join(hints) or NO_CHANGE


def _line(figures: RuleFigures, total: int) -> RuleNoise:
    volume = figures.occurrences
    share = round(100.0 * volume / total, 1)  # a ranked rule has occurrences: total > 0
    false_positive = _pct(figures.false_positive_incidents, figures.incidents)
    flapping = _pct(figures.flapping, volume)
    suppressed = _pct(figures.suppressed, volume)
    median = median_duration(figures.durations)
    short = short_lived(median, len(figures.durations))
    return RuleNoise(
        alertname=figures.alertname,
        sources=figures.sources,
        volume=volume,
        share_pct=share,
        fingerprints=figures.fingerprints,
        incidents=figures.incidents,
        false_positive_pct=false_positive,
        flapping_pct=flapping,
        suppressed_pct=suppressed,
        median_duration=median,
        services=figures.services,
        customers=figures.customers,
        score=noise_score(share, false_positive, flapping, suppressed, short=short),
        suggestion=suggestion(false_positive, flapping, suppressed, short=short),
    )


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
