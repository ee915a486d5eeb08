"""Poll scheduling: jittered intervals, Retry-After honoured, the breaker opening and closing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.polling import Circuit, PollSchedule

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=15)


def schedule(seed: int = 1) -> PollSchedule:
    return PollSchedule(INTERVAL, rng=random.Random(seed))


def test_a_new_source_is_due_at_once_then_every_interval_with_jitter() -> None:
    plan = schedule()
    assert plan.due(T0)
    nexts = [plan.succeeded(T0) - T0 for _ in range(200)]
    assert all(INTERVAL * 0.9 <= n <= INTERVAL * 1.1 for n in nexts)
    assert len(set(nexts)) > 100  # really jittered
    assert not plan.due(T0 + timedelta(seconds=13))


def test_retry_after_is_honoured_and_capped() -> None:
    plan = schedule()
    nxt = plan.failed(T0, retry_after=timedelta(seconds=120))
    assert nxt >= T0 + timedelta(seconds=120)
    assert plan.retry_after_until == T0 + timedelta(seconds=120)
    assert plan.failed(T0, retry_after=timedelta(days=3)) == T0 + timedelta(minutes=30)


def test_the_breaker_opens_after_three_failures_and_backs_off_up_to_the_cap() -> None:
    plan = schedule()
    for _ in range(2):
        assert plan.failed(T0) - T0 <= INTERVAL * 1.1
    assert plan.circuit is Circuit.CLOSED
    delays = []
    for _ in range(20):
        delays.append(plan.failed(T0) - T0)
        assert plan.circuit is Circuit.OPEN
    assert all(INTERVAL <= d <= timedelta(minutes=10) for d in delays)
    assert max(delays) > timedelta(minutes=2)  # it did back off
    plan.succeeded(T0)
    assert plan.circuit is Circuit.CLOSED
    assert plan.failures == 0


@given(st.lists(st.tuples(st.booleans(), st.one_of(st.none(), st.integers(0, 7200))), max_size=60))
def test_the_next_poll_is_never_sooner_than_a_jittered_interval_nor_later_than_the_caps(
    outcomes: list[tuple[bool, int | None]],
) -> None:
    plan = schedule()
    for ok, retry_after in outcomes:
        if ok:
            nxt = plan.succeeded(T0)
        else:
            nxt = plan.failed(
                T0, timedelta(seconds=retry_after) if retry_after is not None else None
            )
        assert INTERVAL * 0.9 <= nxt - T0 <= timedelta(minutes=30)
