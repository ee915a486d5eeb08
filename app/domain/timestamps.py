"""UTC timestamps and durations as the console writes and reads them (ISO 8601 with Z, 15m/4h)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def ensure_utc(value: datetime) -> datetime:
    """Refuse naive datetimes: a naive value is a bug that would shift every SLA clock."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the console keeps every timestamp in UTC")
    return value.astimezone(UTC)


def iso_z(value: datetime | None) -> str | None:
    """Format as ISO 8601 in UTC with a Z, the shape every JSON output promises."""
    if value is None:
        return None
    value = ensure_utc(value)
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 from a monitor or an export; Prometheus sends nanoseconds, Python keeps µs.

    `fromisoformat` reads the usual shapes (Z, offsets, up to nanoseconds) directly: that is
    the fast path a 10k-alert poll takes; anything else goes through the slower cleanup.
    """
    try:
        quick = datetime.fromisoformat(text)
    except ValueError:
        quick = None
    if quick is not None and quick.tzinfo is not None:
        return quick.astimezone(UTC)
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # trim sub-microsecond digits (RFC 3339 allows any precision, fromisoformat up to 6)
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", value)
    if match:
        value = f"{match.group(1)}.{match.group(2)[:6]:0<6}{match.group(3)}"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return parsed.astimezone(UTC)


def parse_duration(text: str | int | float) -> timedelta:
    """Parse the policy files' durations (90s, 15m, 4h, 3d, 1w); a bare number is seconds."""
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"negative duration: {text!r}")
        return timedelta(seconds=text)
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f"not a duration: {text!r} (expected a number and s, m, h, d or w, e.g. 15m)"
        )
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(delta: timedelta) -> str:
    """Render a duration compactly for humans and policy files: 4h, 15m, 1d2h, 45s."""
    seconds = int(abs(delta.total_seconds()))
    sign = "-" if delta.total_seconds() < 0 else ""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + ("".join(parts) or "0s")


def countdown(delta: timedelta) -> str:
    """Render an SLA clock as the wall shows it: 12:07, 3:04:59, 2d 04h; negative when overdue."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes:02d}:{seconds:02d}"
