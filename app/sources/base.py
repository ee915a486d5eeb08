"""What every source is: something that fetches a snapshot of firing alerts, or fails typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from app.domain.alert import Alert


class SourceError(Exception):
    """A poll that failed; the source's alerts stay as they were, marked stale.

    `kind` is a stable word for scripts and the status bar (timeout, unreachable, ...).
    """

    kind = "error"


class SourceTimeout(SourceError):
    kind = "timeout"


class SourceUnreachable(SourceError):
    kind = "unreachable"


class AuthFailed(SourceError):
    kind = "auth"


class BadPayload(SourceError):
    kind = "payload"


class RateLimited(SourceError):
    kind = "rate_limited"

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every alert a source reports as firing at one moment.

    Attributes:
        source: the source's name.
        alerts: firing alerts.
        complete: True when this is the whole truth (every page, every member); only a
            complete snapshot may resolve alerts that are missing from it.
        fetched_at: when the snapshot was taken.
        warning: a partial failure worth showing (degraded), None when all went well.
    """

    source: str
    alerts: tuple[Alert, ...]
    fetched_at: datetime
    complete: bool = True
    warning: str | None = None


class Source(Protocol):
    """A monitoring system the console polls.

    `fetch` does the I/O and may block up to its deadline; it is called off the GUI
    thread and never touches storage. It raises a `SourceError` subclass on failure.
    """

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def interval(self) -> timedelta: ...

    def fetch(self, now: datetime) -> Snapshot: ...
