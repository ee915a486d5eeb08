"""What every source is: something that fetches a snapshot of firing alerts, or fails typed.

Errors are classified by their type where they are raised (the HTTP layer, boto3), never
by matching message strings later; `kind` is the stable word scripts and the status bar
show (timeout, dns, tls, auth, rate_limited, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol

from app.domain.alert import Alert


class SourceError(Exception):
    """A poll that failed; the source's alerts stay as they were, marked stale.

    Attributes:
        retry_after: how long the peer asked us to wait (429/503 Retry-After), if it did.
    """

    kind = "error"

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceTimeout(SourceError):
    kind = "timeout"


class SourceUnreachable(SourceError):
    kind = "unreachable"


class DnsFailure(SourceUnreachable):
    kind = "dns"


class ConnectionRefused(SourceUnreachable):
    kind = "refused"


class TlsError(SourceError):
    """Certificate not trusted, expired or for another host; never retried without checks."""

    kind = "tls"


class AuthFailed(SourceError):
    kind = "auth"


class NotFound(SourceError):
    kind = "not_found"


class BadRequest(SourceError):
    """The peer refused what we asked (400/422): a bad query or filter, its own words."""

    kind = "bad_request"


class Redirected(SourceError):
    """The peer answered with a redirect; we do not follow it with credentials attached."""

    kind = "redirect"


class ServerError(SourceError):
    """A 5xx answer; 502 and 504 are retried within the deadline, 503 waits for Retry-After."""

    kind = "server"

    def __init__(
        self, message: str, retry_after: timedelta | None = None, status: int = 500
    ) -> None:
        super().__init__(message, retry_after)
        self.status = status


class BadPayload(SourceError):
    kind = "payload"


class RateLimited(SourceError):
    kind = "rate_limited"


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
        details: facts about the peer for the operator (URL, version, CA bundle, cluster).
    """

    source: str
    alerts: tuple[Alert, ...]
    fetched_at: datetime
    complete: bool = True
    warning: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))


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
