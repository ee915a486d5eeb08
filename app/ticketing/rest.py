"""The HTTP plumbing the ticketing clients share: one JSON REST call, safely.

Every call has a connect timeout and a deadline on the whole answer (a peer dripping
bytes is a timeout), a cap on the body, verified TLS, and no redirect followed: a 3xx is
an error naming where it pointed, since following it would carry the credential along
(RELIABILITY.md 23). Nothing is retried here: a repeated POST could open a second ticket,
so retries belong to the outbox. The secret appears in no message: the credential lives
in one `requests` auth object whose repr hides it, and every message and error body is
scrubbed of it.

What differs per vendor is passed in: the words of its error bodies (Jira's
errorMessages/errors, ServiceNow's error.message/detail), how its rate-limit reset header
is read, and any status its API gives a meaning of its own (Jira's 413).

The clients talk `requests` here instead of through `app.http`, which imports
`app.sources.base`: app.ticketing sits beside app.sources and may not reach it. What a
failure means (network failure kinds, Retry-After, describing an odd body, masking the
secret) is `app.http_errors`'s, shared with the sources and the runbook webhooks.

Proxies and CA bundles from the environment never apply (`trust_env` is off): an
HTTPS_PROXY or REQUESTS_CA_BUNDLE set for some other tool would silently route the
credential through a proxy, or swap the CAs its TLS is verified against, on every call.
A site that needs either says so in the `[[ticketing]]` entry (`proxy`, `ca_bundle`),
where it is visible and checked when the config loads; verification is never turned off.
A ~/.netrc login never applies either: the credential is the request's own auth.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3 import exceptions as urllib3_errors

from app.http_errors import (
    NetworkFailureKind,
    Scrubber,
    describe_body,
    network_failure,
    retry_after,
)
from app.ticketing.base import ErrorKind, TicketingError

log = logging.getLogger(__name__)

USER_AGENT = "noc-console/0.1 (+https://github.com/noc-console)"
MAX_BODY = 16 * 1024 * 1024
MAX_CONNECT = 5.0  # seconds to connect, at most: a reachable host answers a SYN in far less

STATUS_KINDS: Mapping[int, ErrorKind] = {
    400: ErrorKind.BAD_REQUEST,
    401: ErrorKind.AUTH,
    403: ErrorKind.FORBIDDEN,
    404: ErrorKind.NOT_FOUND,
    409: ErrorKind.CONFLICT,
    422: ErrorKind.BAD_REQUEST,
    429: ErrorKind.RATE_LIMITED,
}
HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: a header token

# the body of an error answer in the vendor's own words, or None when it has none
ServerWords = Callable[[bytes], str | None]
# seconds until the vendor's rate-limit reset header says to come back, or None
ResetAfter = Callable[[Mapping[str, str], datetime], float | None]


def _no_reset(headers: Mapping[str, str], now: datetime) -> float | None:
    return None


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer.

    Attributes:
        document: the decoded JSON (None for an empty body).
        headers: the response headers (paging: Link, X-Total-Count).
        status: the HTTP status.
        what: the call as messages name it (`GET issue/OPS-1`).
    """

    document: Any
    headers: Mapping[str, str]
    status: int
    what: str


class _Credential(requests.auth.AuthBase):
    """The Authorization header. Passed as `auth`, so requests never puts a ~/.netrc
    login over it; its repr hides the secret."""

    def __init__(self, header: str) -> None:
        self._header = header

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self) -> str:
        return "<credential, hidden>"


class _TooLarge(Exception):
    """An answer past MAX_BODY: no ticket read is that big."""


def basic_pair(user: str, secret: str) -> str:
    """`user:secret` as Basic auth encodes it (also what must never be repeated)."""
    return base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")


class RestTransport:
    """One vendor API root over one `requests` session; `call` returns an Answer or raises
    TicketingError.

    Thread: owned by its client's one worker (a requests session is not shared).

    Attributes:
        label: who we talk to, for logs and refusals (`Jira 'jira-acme'`).
        root: the API root; a call's path is relative to it.
        host: the root's host name, for messages.
        timeout: seconds for a whole call, body included.
    """

    def __init__(
        self,
        label: str,
        root: str,
        *,
        authorization: str | None,
        credential_problem: str | None = None,
        hidden: tuple[str, ...] = (),
        timeout: float,
        verify: bool | str,
        proxy: str | None = None,
        clock: Callable[[], datetime],
        server_words: ServerWords,
        reset_after: ResetAfter = _no_reset,
        status_kinds: Mapping[int, ErrorKind] | None = None,
    ) -> None:
        """`hidden`: texts no message may repeat (the secret, its Basic encoding);
        `verify`: True, or the CA bundle file to verify TLS against instead of certifi's;
        `proxy`: the http(s):// proxy every call goes through (none from the environment)."""
        if verify is False:
            raise ValueError(
                f"{label}: TLS verification cannot be turned off; give a CA bundle instead"
            )
        if proxy is not None:
            parts = urlsplit(proxy)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{label}: proxy {proxy!r} is not an http:// or https:// URL")
            if parts.username is not None or parts.password is not None:
                raise ValueError(f"{label}: a proxy login cannot be part of the proxy URL")
        self.label = label
        self.root = root.rstrip("/")
        self.host = urlsplit(self.root).hostname or self.root
        self.timeout = timeout
        self._credential = None if authorization is None else _Credential(authorization)
        self._credential_problem = credential_problem or "no credential"
        self._scrubber = Scrubber(hidden)
        self._verify = verify
        self._ca_bundle = verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH
        self._proxy = proxy
        self._clock = clock
        self._server_words = server_words
        self._reset_after = reset_after
        self._status_kinds = {**STATUS_KINDS, **(status_kinds or {})}
        self._session = requests.Session()
        self._session.trust_env = False  # see the module docstring
        if proxy is not None:
            self._session.proxies = {"https": proxy, "http": proxy}
        for prefix in ("https://", "http://"):
            # no retries below us: a repeated POST could open a second ticket
            self._session.mount(prefix, HTTPAdapter(max_retries=0, pool_maxsize=2))

    def close(self) -> None:
        self._session.close()

    def error(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> TicketingError:
        """A TicketingError whose message repeats none of the hidden texts."""
        return TicketingError(
            kind, self._scrubber.text(message), status=status, retry_after=retry_after
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: object = None,
    ) -> Answer:
        """One request with `body` sent as JSON (None: no body); 3xx, 4xx and 5xx, a
        network failure and an answer that is not JSON are TicketingErrors."""
        if self._credential is None:
            raise self.error(ErrorKind.AUTH, self._credential_problem)
        what = f"{method} {path.lstrip('/')}"
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                f"{self.root}/{path.lstrip('/')}",
                params=params,
                data=None if body is None else orjson.dumps(body),
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "application/json",
                    **({} if body is None else {"Content-Type": "application/json"}),
                },
                auth=self._credential,
                timeout=(min(MAX_CONNECT, self.timeout), self.timeout),
                verify=self._verify,
                allow_redirects=False,
                stream=True,
            )
            try:
                raw = self._read(response, started)
            finally:
                response.close()
        except _TooLarge:
            raise self.error(
                ErrorKind.PAYLOAD, f"{what} sent more than {MAX_BODY // (1024 * 1024)} MiB; refused"
            ) from None
        except (requests.RequestException, urllib3_errors.HTTPError) as error:
            words = network_words(error, self.timeout, ca_bundle=self._ca_bundle, proxy=self._proxy)
            raise self.error(ErrorKind.NETWORK, f"{what} on {self.host}: {words}") from None
        status = response.status_code
        log.debug("%s: %s -> %s (%d bytes)", self.label, what, status, len(raw))
        if 300 <= status < 400:
            target = response.headers.get("Location", "?")
            raise self.error(
                ErrorKind.REDIRECT,
                f"{what} was redirected to {target}; not followed, the credential stays with "
                f"{self.host} (is the configured URL the right one, with https?)",
                status=status,
            )
        raw = self._scrubber.body(raw)
        content_type = response.headers.get("Content-Type")
        if status >= 400:
            kind = self._status_kinds.get(status) or (
                ErrorKind.SERVER if status >= 500 else ErrorKind.BAD_REQUEST
            )
            wait = (
                self._retry_after(response.headers)
                if kind in (ErrorKind.RATE_LIMITED, ErrorKind.SERVER)
                else None
            )
            words = self._server_words(raw) or describe_body(raw, content_type)
            raise self.error(kind, words, status=status, retry_after=wait)
        if not raw.strip():
            return Answer(None, response.headers, status, what)
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise self.error(
                ErrorKind.PAYLOAD,
                f"{what} did not answer JSON ({describe_body(raw, content_type)})",
                status=status,
            ) from None
        return Answer(document, response.headers, status, what)

    def _read(self, response: requests.Response, started: float) -> bytes:
        """The body within the deadline and the size cap (a dripping peer is a timeout)."""
        chunks: list[bytes] = []
        size = 0
        # read1 returns what has arrived (one socket read at most), so a peer dripping
        # bytes cannot hold us past the deadline; a silent one hits the read timeout
        while chunk := response.raw.read1(256 * 1024, decode_content=True):
            size += len(chunk)
            if size > MAX_BODY:
                raise _TooLarge
            if time.monotonic() - started > self.timeout:
                raise requests.exceptions.ReadTimeout(
                    f"still sending after {self.timeout:g} s; gave up"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait: Retry-After (seconds or an HTTP date), else the vendor's reset."""
        now = self._clock()
        wait = retry_after(headers, now)
        return wait if wait is not None else self._reset_after(headers, now)


def network_words(
    error: BaseException,
    timeout: float,
    *,
    ca_bundle: str | None = None,
    proxy: str | None = None,
) -> str:
    """A requests/urllib3 failure, worded for an operator; never with the request headers.
    `ca_bundle` and `proxy` are named when the failure is theirs."""
    failure = network_failure(error)
    deepest = failure.innermost[:300]
    match failure.kind:
        case NetworkFailureKind.CERTIFICATE:
            where = f" (CA bundle {ca_bundle})" if ca_bundle else ""
            return f"TLS certificate rejected: {failure.certificate}{where}"
        case NetworkFailureKind.TLS:
            return f"TLS handshake failed: {deepest}"
        case NetworkFailureKind.PROXY:
            return f"connection failed: proxy {proxy or '(unknown)'} failed: {deepest}"
        case NetworkFailureKind.CONNECT_TIMEOUT:
            return f"no connection within {min(MAX_CONNECT, timeout):g} s"
        case NetworkFailureKind.READ_TIMEOUT:
            return f"did not answer within {timeout:g} s ({deepest})"
        case NetworkFailureKind.DNS:
            return "connection failed: DNS lookup failed"
        case NetworkFailureKind.REFUSED:
            return "connection failed: connection refused"
    return f"connection failed: {deepest}"
