"""Timestamps: ISO 8601 with Z, nanosecond inputs, durations, countdowns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.timestamps import (
    countdown,
    ensure_utc,
    format_duration,
    iso_z,
    parse_duration,
    parse_iso,
)


def test_iso_round_trip_and_nanoseconds() -> None:
    value = parse_iso("2026-11-29T14:08:44.579440408Z")
    assert value == datetime(2026, 11, 29, 14, 8, 44, 579440, tzinfo=UTC)
    assert iso_z(datetime(2026, 11, 29, 10, 0, tzinfo=UTC)) == "2026-11-29T10:00:00Z"
    assert iso_z(parse_iso("2026-11-29T11:00:00+01:00")) == "2026-11-29T10:00:00Z"
    with pytest.raises(ValueError, match="time zone"):
        parse_iso("2026-11-29T10:00:00")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        ensure_utc(datetime(2026, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("4h", 14400), ("3d", 259200), ("1w", 604800), (30, 30)],
)
def test_parse_duration(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["15", "m", "-5m", "5 minutes", True, -1])
def test_parse_duration_refuses(bad: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked elsewhere
        parse_duration(bad)  # type: ignore[arg-type]


def test_formats() -> None:
    assert format_duration(timedelta(hours=26, minutes=5)) == "1d2h5m"
    assert countdown(timedelta(minutes=12, seconds=7)) == "12:07"
    assert countdown(timedelta(hours=3, minutes=4, seconds=59)) == "3:04:59"
    assert countdown(timedelta(days=2, hours=4)) == "2d 04h"
    assert countdown(timedelta(seconds=-192)) == "-03:12"
