"""SLA deadlines through calendars: around the clock, and business hours with DST and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from app.domain.severity import Severity
from app.domain.sla import ALWAYS, Calendar, SlaPolicy, SlaTarget

LONDON = Calendar(
    timezone="Europe/London",
    opens=time(8, 0),
    closes=time(18, 0),
    weekdays=frozenset(range(5)),
    holidays=frozenset({date(2026, 12, 25)}),
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_always_is_plain_addition() -> None:
    assert ALWAYS.add(utc(2026, 11, 29, 23, 0), timedelta(hours=4)) == utc(2026, 11, 30, 3, 0)


def test_business_time_waits_for_opening_and_skips_the_weekend() -> None:
    # Friday 17:00 London (UTC in winter) + 4 business hours = Monday 11:00
    assert LONDON.add(utc(2026, 11, 27, 17, 0), timedelta(hours=4)) == utc(2026, 11, 30, 11, 0)
    # Saturday night counts from Monday's opening
    assert LONDON.add(utc(2026, 11, 28, 23, 0), timedelta(minutes=30)) == utc(2026, 11, 30, 8, 30)


def test_whole_days_are_business_days_and_holidays_do_not_count() -> None:
    # Thursday 24 Dec 10:00 + 1 business day: Friday 25th is a holiday, then the weekend
    assert LONDON.add(utc(2026, 12, 24, 10, 0), timedelta(days=1)) == utc(2026, 12, 28, 10, 0)
    assert LONDON.add(utc(2026, 11, 30, 9, 0), timedelta(days=3)) == utc(2026, 12, 3, 9, 0)


def test_summer_time_shifts_the_utc_opening_hour() -> None:
    # in July London opens at 07:00 UTC
    assert LONDON.add(utc(2026, 7, 4, 12, 0), timedelta(hours=1)) == utc(2026, 7, 6, 8, 0)


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis adds the zone
        max_value=datetime(2028, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.integers(min_value=1, max_value=60 * 60 * 50).filter(
        lambda s: s % 86400 and (s + 60) % 86400
    ),
)
def test_business_time_deadlines_are_monotonic_and_inside_hours(
    start: datetime, seconds: int
) -> None:
    """Business time (not whole days, which count business days) lands inside opening hours."""
    due = LONDON.add(start, timedelta(seconds=seconds))
    assert due > start
    assert due <= LONDON.add(start, timedelta(seconds=seconds + 60))
    local = due.astimezone(ZoneInfo("Europe/London"))
    assert time(8, 0) < local.time() <= time(18, 0)
    assert local.weekday() < 5
    assert local.date() not in LONDON.holidays


def test_policy_deadlines_per_severity() -> None:
    policy = SlaPolicy("gold", {Severity.P1: SlaTarget(timedelta(minutes=15), timedelta(hours=4))})
    assert policy.deadlines(Severity.P1, utc(2026, 11, 29, 10, 0)) == (
        utc(2026, 11, 29, 10, 15),
        utc(2026, 11, 29, 14, 0),
    )
    assert policy.deadlines(Severity.P4, utc(2026, 11, 29, 10, 0)) == (None, None)


def test_working_time_counts_only_business_hours() -> None:
    # Friday 2026-11-27 17:00 London (= UTC in winter) to Monday 09:30: 1 h + 1.5 h
    assert LONDON.working_time(utc(2026, 11, 27, 17, 0), utc(2026, 11, 30, 9, 30)) == timedelta(
        hours=2, minutes=30
    )
    # overnight inside one week, and the Christmas holiday skipped
    assert LONDON.working_time(utc(2026, 12, 24, 17, 0), utc(2026, 12, 28, 9, 0)) == timedelta(
        hours=2
    )
    assert LONDON.working_time(utc(2026, 11, 30, 12, 0), utc(2026, 11, 30, 11, 0)) == timedelta(0)
    assert ALWAYS.working_time(utc(2026, 11, 30, 12, 0), utc(2026, 12, 1, 12, 0)) == timedelta(
        days=1
    )


def test_working_time_across_the_summer_time_change() -> None:
    # Sunday 2026-03-29 the clocks go forward: Monday's hours are 07:00-17:00 UTC
    assert LONDON.working_time(utc(2026, 3, 27, 17, 0), utc(2026, 3, 30, 8, 0)) == timedelta(
        hours=2
    )


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    minutes=st.integers(min_value=1, max_value=60 * 40).filter(lambda m: m % (60 * 24)),
)
def test_working_time_undoes_add(start: datetime, minutes: int) -> None:
    """The working time from any instant to `add(instant, target)` is the target (whole days
    count business days instead: see test_whole_days_are_business_days...)."""
    target = timedelta(minutes=minutes)
    assert LONDON.working_time(start, LONDON.add(start, target)) == target


@given(
    end=st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    minutes=st.integers(min_value=1, max_value=60 * 40),
)
def test_before_is_add_backwards(end: datetime, minutes: int) -> None:
    amount = timedelta(minutes=minutes)
    start = LONDON.before(end, amount)
    assert LONDON.working_time(start, end) == amount
    # the latest such instant: a minute later, less than `amount` is left
    assert LONDON.working_time(start + timedelta(minutes=1), end) < amount
