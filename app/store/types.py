"""Column types: UTC instants as integer epoch milliseconds, the same on SQLite and PostgreSQL.

Integers sort and index like numbers on both engines and let the metrics group by day
with plain arithmetic, which SQLite's text datetimes cannot do cheaply (PERF.md 1.2).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Dialect
from sqlalchemy.types import TypeDecorator

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_millis(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored: the store keeps UTC")
    return (value - EPOCH) // _MS


def from_millis(value: int) -> datetime:
    return EPOCH + timedelta(milliseconds=value)


class UtcMillis(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as integer milliseconds since the Unix epoch."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        return to_millis(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_millis(int(value))
