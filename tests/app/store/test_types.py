"""UtcMillis: instants stored as integer epoch milliseconds, UTC in and UTC out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.store.types import from_millis, to_millis


@pytest.mark.parametrize(
    ("instant", "millis"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
        (datetime(2026, 11, 29, 10, 0, 0, 123_999, tzinfo=UTC), 1_795_946_400_123),
        (
            datetime(2026, 11, 29, 12, 0, 0, 123_000, tzinfo=timezone(timedelta(hours=2))),
            1_795_946_400_123,
        ),
        (datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC), -1),
    ],
)
def test_instants_map_to_epoch_milliseconds(instant: datetime, millis: int) -> None:
    assert to_millis(instant) == millis
    back = from_millis(millis)
    assert back.tzinfo is UTC
    assert back == instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_millis(datetime(2026, 11, 29, 10, 0))  # noqa: DTZ001 - the point of the test
