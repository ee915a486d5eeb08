"""How the UI writes times: local wall-clock time for people, computed from UTC instants."""

from __future__ import annotations

from datetime import datetime


def local(instant: datetime) -> datetime:
    """The same instant in this workstation's time zone (storage and logic stay in UTC)."""
    return instant.astimezone()


def hm(instant: datetime | None) -> str:
    """14:02 in local time; an empty string for no time."""
    return local(instant).strftime("%H:%M") if instant is not None else ""


def hms(instant: datetime | None) -> str:
    """14:02:33 in local time; an empty string for no time."""
    return local(instant).strftime("%H:%M:%S") if instant is not None else ""


def day_and_time(instant: datetime | None, now: datetime | None = None) -> str:
    """'14:02:33' today, 'Sat 28 Nov 14:02' on another day (both local); '' for none."""
    if instant is None:
        return ""
    here = local(instant)
    if now is not None and local(now).date() == here.date():
        return here.strftime("%H:%M:%S")
    return here.strftime("%a %d %b %H:%M")
