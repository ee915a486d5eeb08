"""The pure parts of the service metrics: exact quantile ranks, buckets, recorded verdicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.incident import Incident
from app.domain.service_metrics import (
    MEDIAN,
    P90,
    Bucket,
    Compliance,
    Figures,
    MetricsScope,
    RecordedClocks,
    bucket_bounds,
    interpolated_seconds,
    percentile,
    quantile_ranks,
    recorded_clocks,
)
from app.domain.severity import Severity
from app.domain.sla import SlaPolicy, SlaTarget

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday
CONTRACT = SlaPolicy("gold", {Severity.P2: SlaTarget(timedelta(minutes=30), timedelta(hours=8))})


def quantile(values_ms: list[int], fraction: tuple[int, int]) -> float:
    ordered = sorted(values_ms)
    lower, upper, remainder = quantile_ranks(len(ordered), fraction)
    return interpolated_seconds(ordered[lower], ordered[upper], remainder, fraction)


def test_ranks_are_exact_integers() -> None:
    assert quantile_ranks(1, MEDIAN) == (0, 0, 0)
    assert quantile_ranks(4, MEDIAN) == (1, 2, 1)  # h = 1.5
    assert quantile_ranks(11, P90) == (9, 9, 0)  # h = 9 exactly: no float rounding to 8.999
    assert quantile_ranks(8, P90) == (6, 7, 3)  # h = 6.3
    with pytest.raises(ValueError, match="no values"):
        quantile_ranks(0, MEDIAN)


def test_interpolation_like_percentile_cont() -> None:
    assert quantile([1000, 2000, 3000, 4000], MEDIAN) == 2.5
    assert quantile([10_000], P90) == 10.0
    assert quantile([0, 10_000], P90) == 9.0
    assert (
        quantile(
            [600_000, 1_200_000, 100_000, 600_000, 600_000, 1_800_000, 2_400_000, 18_000_000], P90
        )
        == 7080.0
    )


@given(st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=60))
def test_the_exact_quantile_is_the_rational_percentile_cont(values: list[int]) -> None:
    """Against exact rational arithmetic, and within a float's error of the engine's old
    floating-point percentile (which is what PostgreSQL's percentile_cont computes)."""
    ordered = sorted(values)
    for fraction in (MEDIAN, P90):
        position = (len(ordered) - 1) * Fraction(*fraction)
        lower = ordered[position.numerator // position.denominator]
        upper = ordered[-(-position.numerator // position.denominator)]
        exact = (lower + (upper - lower) * (position - int(position))) / 1000
        assert quantile(values, fraction) == float(exact)
        floating = percentile([v / 1000 for v in ordered], fraction[0] / fraction[1])
        assert quantile(values, fraction) == pytest.approx(floating, rel=1e-12, abs=1e-9)


def test_buckets_are_utc_days_iso_weeks_and_months_cut_to_the_period() -> None:
    start, end = T0, datetime(2026, 12, 3, 12, tzinfo=UTC)
    days = bucket_bounds(start, end, Bucket.DAY)
    assert days[0] == (T0, datetime(2026, 11, 3, tzinfo=UTC))
    assert days[-1] == (datetime(2026, 12, 3, tzinfo=UTC), end)
    assert len(days) == 32
    weeks = bucket_bounds(start, end, Bucket.WEEK)
    assert weeks[0] == (T0, datetime(2026, 11, 9, tzinfo=UTC))
    assert weeks[-1] == (datetime(2026, 11, 30, tzinfo=UTC), end)
    assert all(low.weekday() == 0 for low, _ in weeks[1:])
    months = bucket_bounds(
        datetime(2026, 11, 20, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC), Bucket.MONTH
    )
    assert [low.date().isoformat() for low, _ in months] == [
        "2026-11-20",
        "2026-12-01",
        "2027-01-01",
    ]
    assert bucket_bounds(T0, T0, Bucket.DAY) == []


def test_a_scope_refuses_naive_and_backwards_periods() -> None:
    with pytest.raises(ValueError, match="naive"):
        MetricsScope(datetime(2026, 11, 1), None)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="cannot end"):
        MetricsScope(T0, T0 - timedelta(seconds=1))


def test_shares_are_none_without_a_base() -> None:
    empty = Figures(None, None)
    assert (empty.recurrence_pct, empty.false_positive_pct, empty.alerts_per_incident) == (
        None,
    ) * 3
    assert Compliance().pct is None
    assert Compliance(2, 3).missed == 1


def incident() -> Incident:
    return Incident.detect(
        title="t",
        customer="acme",
        services=("db",),
        severity=Severity.P2,
        started_at=T0,
        detected_at=T0,
        group_key="g",
        policy=CONTRACT,
    )


def test_recorded_clocks_are_the_verdicts_of_the_timeline() -> None:
    fresh = incident()
    assert recorded_clocks(fresh) == RecordedClocks(None, None, False)
    late = fresh.acknowledge("a", T0 + timedelta(minutes=45))
    assert recorded_clocks(late) == RecordedClocks(False, None, False)
    resolved = late.resolve("a", T0 + timedelta(hours=1))
    assert recorded_clocks(resolved) == RecordedClocks(False, True, False)
    reopened = resolved.reopen("system", T0 + timedelta(hours=2))
    assert recorded_clocks(reopened) == RecordedClocks(
        False, None, True
    )  # the resolution clock runs again
    again = reopened.resolve("a", T0 + timedelta(hours=9))
    assert recorded_clocks(again) == RecordedClocks(
        False, False, True
    )  # the last resolution's verdict


def test_a_clock_stopped_while_waiting_is_judged_when_the_wait_began() -> None:
    waiting = incident().pause("a", T0 + timedelta(minutes=10), "customer")
    answered = waiting.acknowledge("a", T0 + timedelta(hours=1))
    assert recorded_clocks(answered).response_met is True


def test_without_recorded_verdicts_the_stored_times_decide() -> None:
    stored = (
        incident().acknowledge("a", T0 + timedelta(minutes=5)).resolve("a", T0 + timedelta(hours=9))
    )
    bare = replace(stored, timeline=())
    assert recorded_clocks(bare) == RecordedClocks(True, False, False)
