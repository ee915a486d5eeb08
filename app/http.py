"""The one way sources talk HTTP: deadlines, bounded bodies, typed errors, no redirects.

requests has no default timeout and its read timeout is per socket read, so a peer that
drips a byte a second never times out; here every call has a connect timeout and a total
deadline checked while the body streams in, and a body cap. TLS verification is always
on (a custom CA bundle may be given, never `verify=False`). Redirects are refused: a
monitor API does not redirect, and following one would carry credentials elsewhere.
Transient failures (connection reset or refused, 502/504) are retried within the
deadline with capped exponential backoff and full jitter; 429 and 503 are not retried
here: their Retry-After goes to the scheduler, which waits at least that long. What a
failure is (DNS, TLS, refused...), Retry-After and the server's words are read by
`app.http_errors`, shared with the ticketing clients and runbook webhooks; this module
turns them into the typed source errors.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors

from app import json_parsing
from app.http_errors import (
    NetworkFailureKind,
    delay_seconds,
    describe_body,
    header,
    network_failure,
    retry_after,
    server_words,
)
from app.sources.base import (
    AuthFailed,
    BadPayload,
    BadRequest,
    ConnectionRefused,
    DnsFailure,
    NotFound,
    RateLimited,
    Redirected,
    ServerError,
    SourceError,
    SourceTimeout,
    SourceUnreachable,
    TlsError,
)

log = logging.getLogger(__name__)

USER_AGENT = "noc-console/0.1 (+https://github.com/noc-console)"
_TRANSIENT_STATUS = frozenset({502, 504})


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How one source talks HTTP.

    Attributes:
        connect_timeout: seconds to establish a connection.
        deadline: seconds for a whole call, retries and body included.
        max_bytes: the largest body accepted (a runaway payload is an error, not an OOM).
        ca_bundle: a CA file or folder to trust instead of the default bundle.
        retries: extra attempts for transient failures, inside the deadline.
        backoff: first backoff step in seconds; it doubles, capped at `backoff_cap`.
    """

    connect_timeout: float = 5.0
    deadline: float = 10.0
    max_bytes: int = 64 * 1024 * 1024
    ca_bundle: str | None = None
    retries: int = 2
    backoff: float = 0.25
    backoff_cap: float = 2.0

    @property
    def verify(self) -> str | bool:
        return self.ca_bundle or True

    @property
    def ca_bundle_in_use(self) -> str:
        """The CA bundle TLS is verified against, for the source's details."""
        if self.ca_bundle:
            return self.ca_bundle
        return requests.utils.DEFAULT_CA_BUNDLE_PATH


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A parsed JSON answer with what else the headers said.

    Attributes:
        data: the decoded JSON document.
        status: the HTTP status.
        headers: response headers (case-insensitive lookups via `header`).
        clock_skew: server Date minus local time, when the server sent a Date.
        size: body size in bytes.
    """

    data: Any
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    clock_skew: timedelta | None = None
    size: int = 0

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


class HttpClient:
    """A session per source with its settings, headers and a deadline per call.

    Thread: one per source worker; requests sessions are not shared across threads.

    Attributes:
        base_url: scheme, host and optional path prefix of the peer.
        settings: timeouts, body cap, CA bundle, retries.
    """

    def __init__(
        self,
        base_url: str,
        settings: HttpSettings | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.settings = settings or HttpSettings()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self._auth = auth
        self._sleep = sleep
        self._clock = clock
        self._random = random.Random()  # noqa: S311 - jitter, not security
        self._session = self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # our own retry loop; urllib3's would not see the deadline
        session.mount("http://", HTTPAdapter(max_retries=0, pool_maxsize=4))
        session.mount("https://", HTTPAdapter(max_retries=0, pool_maxsize=4))
        return session

    def close(self) -> None:
        self._session.close()

    def now(self) -> float:
        """The clock deadlines are measured on (pass it as `started` to share one)."""
        return self._clock()

    def set_headers(self, headers: Mapping[str, str]) -> None:
        """Replace credentials headers (a secret changed in the keyring)."""
        self._headers.update(headers)

    def set_auth(self, auth: tuple[str, str] | None) -> None:
        self._auth = auth

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/") if path else self.base_url

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, started: float | None = None
    ) -> JsonResponse:
        """GET a JSON document, retrying transient failures inside the deadline.

        `started` (a `monotonic()` reading) lets several calls of one poll, pages say,
        share one deadline instead of each getting a fresh one.
        """
        started = self._clock() if started is None else started
        attempt = 0
        while True:
            remaining = self.settings.deadline - (self._clock() - started)
            if remaining <= 0:
                raise SourceTimeout(
                    f"no complete answer from {self.url(path)} within {self.settings.deadline:g} s"
                )
            try:
                return self._get_once(path, params, started)
            except (SourceUnreachable, ServerError) as error:
                if isinstance(error, DnsFailure) or error.retry_after is not None:
                    raise
                if isinstance(error, ServerError) and error.status not in _TRANSIENT_STATUS:
                    raise
                if attempt >= self.settings.retries:
                    raise
                attempt += 1
                pause = self._random.uniform(
                    0, min(self.settings.backoff_cap, self.settings.backoff * 2 ** (attempt - 1))
                )
                left = self.settings.deadline - (self._clock() - started)
                if pause >= left:
                    raise
                log.debug("retrying %s in %.2f s after %s", self.url(path), pause, error)
                self._sleep(pause)

    def _get_once(
        self, path: str, params: Mapping[str, Any] | None, started: float
    ) -> JsonResponse:
        url = self.url(path)
        remaining = max(0.001, self.settings.deadline - (self._clock() - started))
        try:
            response = self._session.get(
                url,
                params=params,
                headers=self._headers,
                auth=self._auth,
                timeout=(min(self.settings.connect_timeout, remaining), remaining),
                verify=self.settings.verify,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as error:
            raise classify(error, url, self.settings) from error
        try:
            body = self._read_body(response, url, started)
        finally:
            response.close()
        status = response.status_code
        headers = dict(response.headers)
        if 300 <= status < 400:
            target = response.headers.get("Location", "?")
            raise Redirected(f"{url} answered {status}, redirecting to {target}; not following it")
        if status >= 400:
            raise status_error(
                status, url, body, response.headers, response.headers.get("Content-Type")
            )
        try:
            data = json_parsing.loads(body)
        except orjson.JSONDecodeError as error:
            raise BadPayload(
                f"{url} did not answer JSON ({describe_body(body, response.headers.get('Content-Type'))}): {error}"
            ) from None
        return JsonResponse(
            data=data,
            status=status,
            headers=headers,
            clock_skew=_skew(response.headers.get("Date")),
            size=len(body),
        )

    def _read_body(self, response: requests.Response, url: str, started: float) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BadPayload(_too_large(url, limit))
        chunks: list[bytes] = []
        size = 0
        try:
            # read1 returns what has arrived (one socket read at most), so a peer dripping
            # bytes cannot hold us past the deadline; a silent one hits the read timeout
            while chunk := response.raw.read1(256 * 1024, decode_content=True):
                size += len(chunk)
                if size > limit:
                    raise BadPayload(_too_large(url, limit))
                chunks.append(chunk)
                if self._clock() - started > self.settings.deadline:
                    raise SourceTimeout(
                        f"{url} was still sending after {self.settings.deadline:g} s "
                        f"({size} bytes so far); gave up"
                    )
        except (requests.RequestException, urllib3_errors.HTTPError) as error:
            raise classify(error, url, self.settings) from error
        return b"".join(chunks)


def _too_large(url: str, limit: int) -> str:
    return f"{url} sent more than {limit // (1024 * 1024)} MiB; refused (raise max_response_mb if this is real)"


def classify(
    error: requests.RequestException | urllib3_errors.HTTPError, url: str, settings: HttpSettings
) -> SourceError:
    """Turn a requests failure into the typed source error an operator can act on."""
    failure = network_failure(error)
    host = urlsplit(url).hostname or url
    match failure.kind:
        case NetworkFailureKind.BAD_HEADER:
            return AuthFailed(
                f"a credential for {host} holds characters an HTTP header cannot carry "
                "(a newline?); store it again with `noc-console secrets set`"
            )
        case NetworkFailureKind.CERTIFICATE:
            return TlsError(
                f"TLS certificate of {host} rejected: {failure.certificate} "
                f"(CA bundle {settings.ca_bundle_in_use})"
            )
        case NetworkFailureKind.TLS:
            return TlsError(f"TLS handshake with {host} failed: {failure.innermost}")
        case NetworkFailureKind.PROXY:
            return SourceUnreachable(f"the proxy to {host} failed: {failure.innermost}")
        case NetworkFailureKind.DNS:
            return DnsFailure(f"DNS lookup failed for {host}")
        case NetworkFailureKind.CONNECT_TIMEOUT:
            return SourceTimeout(f"no connection to {host} within {settings.connect_timeout:g} s")
        case NetworkFailureKind.READ_TIMEOUT:
            return SourceTimeout(
                f"{host} stopped answering (read timeout, deadline {settings.deadline:g} s)"
            )
        case NetworkFailureKind.REFUSED:
            return ConnectionRefused(f"{host} refused the connection ({url})")
        case NetworkFailureKind.BROKEN:
            return SourceUnreachable(f"{host} broke off its answer: {failure.innermost}")
        case NetworkFailureKind.CONNECTION:
            return SourceUnreachable(f"connection to {host} failed: {failure.innermost}")
    return SourceError(f"request to {url} failed: {failure.innermost}")


def status_error(
    status: int, url: str, body: bytes, headers: Mapping[str, str], content_type: str | None
) -> SourceError:
    """An HTTP error status with the server's own message, typed for the scheduler."""
    message = f"{url} answered {status}: {server_message(body, content_type)}"
    retry_after = retry_after_of(headers)
    if status in (401, 403):
        return AuthFailed(message)
    if status == 404:
        return NotFound(message)
    if status == 429:
        return RateLimited(message, retry_after=retry_after)
    if status >= 500:
        return ServerError(message, retry_after=retry_after, status=status)
    if status in (400, 422):
        return BadRequest(message)
    return SourceError(message)


def server_message(body: bytes, content_type: str | None) -> str:
    """The error text the server gave (Alertmanager's bare JSON string, Prometheus's
    {"error"}, Datadog's {"errors": [...]}), else what the body looks like."""
    return server_words(body) or describe_body(body, content_type)


def retry_after_of(headers: Mapping[str, str]) -> timedelta | None:
    """Retry-After (seconds or an HTTP date), or Datadog's X-RateLimit-Reset (seconds)."""
    seconds = retry_after(headers, datetime.now(UTC))
    if seconds is None:
        seconds = delay_seconds(header(headers, "X-RateLimit-Reset"))
    return None if seconds is None else timedelta(seconds=seconds)


def _skew(date_header: str | None) -> timedelta | None:
    if not date_header:
        return None
    try:
        server = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None:
        server = server.replace(tzinfo=UTC)
    return server - datetime.now(UTC)
