"""What the console knows about each source's health: a blind source never looks like all-clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SourceStatus(StrEnum):
    UNKNOWN = "unknown"  # not polled yet
    OK = "ok"
    DEGRADED = "degraded"  # answered, but not completely (a member of an HA pair is down)
    DOWN = "down"  # the last poll failed; its alerts are stale
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's health after its latest poll.

    Attributes:
        name, kind: the configured source.
        status: ok, degraded, down, rate-limited or unknown.
        error: the last error in words, None when healthy.
        error_class: the error's type name (timeout, auth, payload, ...), for scripts.
        last_attempt: when it was last polled; `last_success` when that last worked.
        alert_count: firing alerts in the last good snapshot.
        stale_since: since when its alerts are not current (None when healthy).
    """

    name: str
    kind: str
    status: SourceStatus = SourceStatus.UNKNOWN
    error: str | None = None
    error_class: str | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    alert_count: int = 0
    stale_since: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status in (SourceStatus.OK, SourceStatus.DEGRADED)
