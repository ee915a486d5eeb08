"""Metric definitions: percentiles like percentile_cont, false positives apart, open clocks honest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.incident import IncidentState
from app.domain.metrics import IncidentTimes
from app.engine.metrics import compute, percentile, summarize

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def times(
    state=IncidentState.RESOLVED,
    detect=60,
    ack=None,
    resolve=None,
    response=900,
    fix=14400,
    recurred=False,
):  # type: ignore[no-untyped-def]
    def at(seconds: int | None) -> datetime | None:
        return None if seconds is None else T0 + timedelta(seconds=seconds)

    return IncidentTimes(
        state=state,
        started_at=T0,
        detected_at=T0 + timedelta(seconds=detect),
        acknowledged_at=at(ack),
        resolved_at=at(resolve),
        response_due=at(detect + response),
        resolve_due=at(detect + fix),
        recurred=recurred,
    )


def test_percentile_interpolates_like_percentile_cont() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([0.0, 10.0], 0.9) == pytest.approx(9.0)
    assert summarize([]).median is None


def test_compute() -> None:
    data = [
        times(detect=30, ack=330, resolve=3630),  # met both
        times(detect=60, ack=1260, resolve=20000),  # response and resolve breached
        times(state=IncidentState.NEW, detect=90),  # open, clocks not yet due at `now`
        times(state=IncidentState.FALSE_POSITIVE, detect=5000, ack=5001, recurred=True),
        times(detect=10, ack=20, resolve=30, recurred=True),
    ]
    result = compute(data, now=T0 + timedelta(seconds=200))
    assert result.incidents == 5
    assert result.mttd.median == 45.0  # 30, 60, 90, 10: false positive excluded
    assert result.mtta.count == 3
    assert result.mtta.median == 300.0
    assert result.mttr.mean == pytest.approx((3600 + 19940 + 20) / 3, abs=0.1)
    assert result.response_met_pct == pytest.approx(66.7)
    assert result.resolve_met_pct == pytest.approx(66.7)
    assert result.recurrence_pct == 25.0
    assert result.false_positive_pct == 20.0
    later = compute(data, now=T0 + timedelta(days=1))
    assert later.response_met_pct == 50.0  # the open incident's response clock is now breached
