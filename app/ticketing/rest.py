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
`app.sources.base`: app.ticketing sits beside app.sources and may not reach it.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors

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
_SECONDS = re.compile(r"\d{1,12}(\.\d+)?")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)

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
        trust_env: bool,
        clock: Callable[[], datetime],
        server_words: ServerWords,
        reset_after: ResetAfter = _no_reset,
        status_kinds: Mapping[int, ErrorKind] | None = None,
    ) -> None:
        """`hidden`: texts no message may repeat (the secret, its Basic encoding);
        `trust_env`: whether proxies and CA bundles from the environment apply (a ~/.netrc
        login never does: the credential is the request's own auth)."""
        if verify is False:
            raise ValueError(
                f"{label}: TLS verification cannot be turned off; give a CA bundle instead"
            )
        self.label = label
        self.root = root.rstrip("/")
        self.host = urlsplit(self.root).hostname or self.root
        self.timeout = timeout
        self._credential = None if authorization is None else _Credential(authorization)
        self._credential_problem = credential_problem or "no credential"
        self._hidden = tuple(text for text in hidden if len(text.strip()) >= 4)
        self._verify = verify
        self._clock = clock
        self._server_words = server_words
        self._reset_after = reset_after
        self._status_kinds = {**STATUS_KINDS, **(status_kinds or {})}
        self._session = requests.Session()
        self._session.trust_env = trust_env
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
        for hidden in self._hidden:
            message = message.replace(hidden, "[hidden]")
        return TicketingError(kind, message, status=status, retry_after=retry_after)

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
            raise self.error(
                ErrorKind.NETWORK, f"{what} on {self.host}: {network_words(error, self.timeout)}"
            ) from None
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
        raw = self._scrub(raw)
        content_type = response.headers.get("Content-Type")
        if status >= 400:
            kind = self._status_kinds.get(status) or (
                ErrorKind.SERVER if status >= 500 else ErrorKind.BAD_REQUEST
            )
            retry_after = (
                self._retry_after(response.headers)
                if kind in (ErrorKind.RATE_LIMITED, ErrorKind.SERVER)
                else None
            )
            words = self._server_words(raw) or describe(raw, content_type)
            raise self.error(kind, words, status=status, retry_after=retry_after)
        if not raw.strip():
            return Answer(None, response.headers, status, what)
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise self.error(
                ErrorKind.PAYLOAD,
                f"{what} did not answer JSON ({describe(raw, content_type)})",
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

    def _scrub(self, raw: bytes) -> bytes:
        for hidden in self._hidden:
            raw = raw.replace(hidden.encode(), b"[hidden]")
        return raw

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait: Retry-After (seconds or an HTTP date), else the vendor's reset."""
        now = self._clock()
        value = (headers.get("Retry-After") or "").strip()
        if _SECONDS.fullmatch(value):
            return float(value)
        if value:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
                return max(0.0, (when - now).total_seconds())
        return self._reset_after(headers, now)


def header_value(headers: Mapping[str, str], name: str) -> str:
    return (headers.get(name) or "").strip()


def describe(raw: bytes, content_type: str | None) -> str:
    """What a body that is not the documented JSON looks like, in one short line."""
    if not raw.strip():
        return "empty body"
    text = raw[:65536].decode("utf-8", "replace")
    title = _TITLE.search(text)
    if title:
        return f"an HTML page titled {' '.join(title.group(1).split())[:120]!r}"
    kind = (content_type or "unknown type").split(";")[0]
    return f"{kind}: {' '.join(text[:200].split())!r}"


def network_words(error: BaseException, timeout: float) -> str:
    """A requests/urllib3 failure, worded for an operator; never with the request headers."""
    chain = _chain(error)
    deepest = f"{type(chain[-1]).__name__}: {chain[-1]}"[:300]
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            reason = link.verify_message or link.reason or "not trusted"
            return f"TLS certificate rejected: {reason}"
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS handshake failed: {deepest}"
    if any(isinstance(link, requests.exceptions.ConnectTimeout) for link in chain):
        return f"no connection within {min(MAX_CONNECT, timeout):g} s"
    # not urllib3's TimeoutError: its NewConnectionError (a refused connection) is one
    timeouts = (requests.exceptions.ReadTimeout, urllib3_errors.ReadTimeoutError, TimeoutError)
    if any(isinstance(link, timeouts) for link in chain):
        return f"did not answer within {timeout:g} s ({deepest})"
    if any(isinstance(link, urllib3_errors.NameResolutionError) for link in chain):
        return "connection failed: DNS lookup failed"
    if any(isinstance(link, ConnectionRefusedError) for link in chain):
        return "connection failed: connection refused"
    return f"connection failed: {deepest}"


def _chain(error: BaseException) -> list[BaseException]:
    """The error, its causes and urllib3's wrapped reasons, outermost first."""
    chain: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending and len(chain) < 20:
        current = pending.pop(0)
        if any(current is seen for seen in chain):
            continue
        chain.append(current)
        links = (
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
            *current.args,
        )
        pending.extend(link for link in links if isinstance(link, BaseException))
    return chain
