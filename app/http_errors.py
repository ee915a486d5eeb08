"""What a failed HTTP call says, in one vocabulary: network failures, Retry-After, the server's words.

The monitoring sources (`app.http`), the ticketing transport (`app.ticketing.rest`) and the
runbook webhook backend (`app.runbooks.backends.http`) read these facts here and word them
for their own callers: a typed source error, a TicketingError, a runbook CallResult. Nothing
here knows those types, so the three can share it: it sits below them in the import-linter
layers. Errors are classified by their types along the cause chain, never by matching
message text (STYLE.md 6).
"""

from __future__ import annotations

import email.utils
import json
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import requests
from urllib3 import exceptions as urllib3_errors

MAX_CAUSES = 20  # links of a cause chain followed; a longer one is cut, not looped
_SECONDS = re.compile(r"\d{1,12}(\.\d+)?")  # 12 digits: a delay, never an overflow
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# where a JSON error body keeps its message, most specific first ({"error": true,
# "message": "..."} is Rundeck's; {"errors": [...]} Datadog's and JSON:API's)
_MESSAGE_KEYS = ("message", "error", "errors", "detail", "title")


class NetworkFailureKind(StrEnum):
    """Why a request got no complete answer, nearest the operator's fix first."""

    BAD_HEADER = "bad header"  # a header value HTTP cannot carry (a credential with a newline?)
    CERTIFICATE = "certificate"  # the peer's certificate was not trusted (or not for this host)
    TLS = "tls"  # any other TLS failure: handshake, protocol version
    PROXY = "proxy"  # the proxy could not be reached or would not connect us
    DNS = "dns"  # the host name did not resolve
    CONNECT_TIMEOUT = "connect timeout"  # no connection within the connect timeout
    READ_TIMEOUT = "read timeout"  # connected, then silence
    REFUSED = "refused"  # nothing listens there
    BROKEN = "broken"  # the answer broke off or could not be decoded (urllib3, mid-body)
    CONNECTION = "connection"  # any other connection failure (reset, closed early)
    OTHER = "other"  # none of the above


@dataclass(frozen=True, slots=True)
class NetworkFailure:
    """A requests or urllib3 failure, classified.

    Attributes:
        kind: what went wrong.
        innermost: the deepest cause as `Type: message`, for the detail of a message; for
            BAD_HEADER a fixed text, since requests quotes the value (often a credential).
        certificate: why the certificate was rejected (`self-signed certificate`), for
            CERTIFICATE only.
    """

    kind: NetworkFailureKind
    innermost: str
    certificate: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.kind in (NetworkFailureKind.CONNECT_TIMEOUT, NetworkFailureKind.READ_TIMEOUT)


def causes(error: BaseException) -> list[BaseException]:
    """The error, its causes and contexts, and urllib3's wrapped `reason`s, nearest first."""
    found: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending and len(found) < MAX_CAUSES:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        links = (
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
            *current.args,
        )
        pending.extend(link for link in links if isinstance(link, BaseException))
    return found


def innermost(error: BaseException) -> str:
    """The deepest cause as `Type: message` (`ConnectionResetError: [Errno 104] ...`)."""
    deepest = causes(error)[-1]
    return f"{type(deepest).__name__}: {deepest}"


def network_failure(error: BaseException) -> NetworkFailure:
    """Classify a failure raised by requests (or by urllib3 while a body streams in)."""
    chain = causes(error)

    def caused_by(*kinds: type[BaseException]) -> bool:
        return any(isinstance(link, kinds) for link in chain)

    kind = NetworkFailureKind
    if isinstance(error, requests.exceptions.InvalidHeader):
        # requests quotes the offending header value: it goes in no message
        return NetworkFailure(kind.BAD_HEADER, "a header value HTTP cannot carry")
    deepest = innermost(error)
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            reason = link.verify_message or link.reason or "not trusted"
            return NetworkFailure(kind.CERTIFICATE, deepest, certificate=reason)
    if isinstance(error, requests.exceptions.SSLError):
        return NetworkFailure(kind.TLS, deepest)
    if caused_by(requests.exceptions.ProxyError):  # before DNS and refused: they are the proxy's
        return NetworkFailure(kind.PROXY, deepest)
    if caused_by(urllib3_errors.NameResolutionError):
        return NetworkFailure(kind.DNS, deepest)
    if caused_by(requests.exceptions.ConnectTimeout):
        return NetworkFailure(kind.CONNECT_TIMEOUT, deepest)
    # not urllib3's TimeoutError: its NewConnectionError (a refused connection) is one
    if caused_by(requests.exceptions.ReadTimeout, urllib3_errors.ReadTimeoutError, TimeoutError):
        return NetworkFailure(kind.READ_TIMEOUT, deepest)
    if caused_by(ConnectionRefusedError):
        return NetworkFailure(kind.REFUSED, deepest)
    if isinstance(error, urllib3_errors.ProtocolError | urllib3_errors.DecodeError):
        return NetworkFailure(kind.BROKEN, deepest)
    if isinstance(
        error, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError
    ):
        return NetworkFailure(kind.CONNECTION, deepest)
    return NetworkFailure(kind.OTHER, deepest)


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, stripped, under any capitalisation of its name ("" when absent)."""
    value = headers.get(name)
    if value is None:  # a plain dict rather than requests' case-insensitive one
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return (value or "").strip()


def delay_seconds(text: str) -> float | None:
    """A number of seconds as headers write it (`120`, `2.5`), or None for anything else."""
    text = text.strip()
    return float(text) if _SECONDS.fullmatch(text) else None


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds Retry-After asks to wait from `now`: delay-seconds or an HTTP date (one
    already past is 0). None when there is none or it cannot be read; a vendor's own
    rate-limit reset header is the caller's next guess."""
    value = header(headers, "Retry-After")
    if not value:
        return None
    seconds = delay_seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # `-0000`: UTC
    return max(0.0, (when - now).total_seconds())


def server_words(body: bytes) -> str | None:
    """The message a JSON error body carries: a bare JSON string, or the first text under
    message, error, errors, detail or title (one level down too, and a list joined with
    `; `). None when the body is not JSON or says nothing in words."""
    text = body[:4096]
    try:
        document = json.loads(text) if text.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None
    return _words(document, depth=2)


def _words(value: Any, depth: int) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        return "; ".join(w for item in value if (w := _words(item, depth))) or None
    if isinstance(value, dict) and depth > 0:
        for key in _MESSAGE_KEYS:
            words = _words(value.get(key), depth - 1)
            if words:
                return words
    return None  # numbers and booleans ({"error": true}) are not words


def snippet(body: bytes, limit: int = 200) -> str:
    """The start of a body as one line: runs of white space become one space."""
    return " ".join(body[: limit * 4].decode("utf-8", "replace").split())[:limit]


def describe_body(body: bytes, content_type: str | None) -> str:
    """What a body that is not the expected JSON looks like, in one short line: `empty
    body`, an HTML page's title, or its content type and first characters."""
    if not body.strip():
        return "empty body"
    title = _TITLE.search(body[:65536].decode("utf-8", "replace"))
    if title:
        return f"an HTML page titled {' '.join(title.group(1).split())[:120]!r}"
    kind = (content_type or "unknown type").split(";")[0]
    return f"{kind}: {snippet(body)!r}"


class Scrubber:
    """Masks every copy of some secrets, raw or JSON-escaped, in text and in bodies.

    Attributes:
        mask: what a secret is replaced with (`[hidden]`).
    """

    def __init__(self, secrets: Iterable[str | None], mask: str = "[hidden]") -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and secret.strip():
                forms |= {secret, json.dumps(secret)[1:-1]}
        # longest first, so a secret inside another is not masked half-way
        self._forms = sorted(forms, key=len, reverse=True)
        self.mask = mask

    def text(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, self.mask)
        return text

    def body(self, raw: bytes) -> bytes:
        mask = self.mask.encode()
        for form in self._forms:
            raw = raw.replace(form.encode(), mask)
        return raw
