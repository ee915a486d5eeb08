"""What the console knows about each source's health: a blind source never looks like all-clear."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType


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
        details: facts about the peer (URL, version, CA bundle in use, members).
        failures: consecutive failed polls; `circuit` is "open" once they reach the breaker's
            threshold and polls back off.
        next_attempt: when the next poll is due.
        retry_after_until: the peer's Retry-After in force, if any ("rate-limited until").
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
    details: Mapping[str, str] = field(default_factory=dict)
    failures: int = 0
    circuit: str = "closed"
    next_attempt: datetime | None = None
    retry_after_until: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def ok(self) -> bool:
        return self.status in (SourceStatus.OK, SourceStatus.DEGRADED)
