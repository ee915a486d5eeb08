"""The webhook backend: one HTTP request to a vetted address, no redirects, a total deadline.

The request goes through `url_guard.GuardedAdapter`, so the address checked is the
address connected to. Redirects are never followed: a 3xx is reported with its target,
because following it would carry the bearer token to wherever the hook pointed, which
may be the metadata service (RELIABILITY.md 26). requests' read timeout applies to each
socket read, so a peer dripping one byte a second would never time out; the body is read
in chunks against a total deadline instead.

The secret's value exists only in the Authorization header: every text that goes back
(summary, output, an error message) is scrubbed of it, in case a server echoes it.
Failures are classified, and server messages read, by `app.http_errors`, as the sources'
and the ticketing clients' are.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from urllib3 import exceptions as urllib3_errors

from app.domain.runbook_progress import RunStatus
from app.http_errors import NetworkFailureKind, Scrubber, network_failure, server_words, snippet
from app.runbooks.calls import CallResult, PlannedHttp
from app.runbooks.url_guard import GuardedAdapter, Network, TargetRefused, check_url
from app.secrets import SecretUnavailable, environment_name

USER_AGENT = "noc-console-runbook/0.1"
READ_LIMIT = 64 * 1024  # bytes of a response body read; more is never shown or stored
_CHUNK = 16 * 1024
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token: methods, header names
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")  # printable ASCII: no CR/LF, nothing to encode


class _Deadline(Exception):
    """The whole call ran past its timeout while the body was still arriving."""


def send(
    planned: PlannedHttp,
    *,
    timeout: float,
    allow_networks: Iterable[Network],
    secret_lookup: Callable[[str], str | None],
    ca_bundle: str | None = None,
) -> CallResult:
    """Make the request `planned` describes; every expected failure becomes a CallResult.

    `ca_bundle` is the site's CA file for internal hooks (REQUESTS_CA_BUNDLE is not read:
    the session ignores the environment, so proxies and .netrc cannot bypass the guard).
    """
    reason = check_url(planned.url)
    if reason is not None:
        return CallResult(RunStatus.REFUSED, f"{planned.url} refused: {reason}")
    reason = check_request(planned)
    if reason is not None:
        return CallResult(RunStatus.REFUSED, reason)
    secret: str | None = None
    if planned.secret is not None:
        found = _secret(planned.secret, secret_lookup)
        if isinstance(found, CallResult):
            return found
        secret = found
    result = _exchange(planned, secret, timeout, tuple(allow_networks), ca_bundle)
    return _scrubbed(result, secret)


def check_request(planned: PlannedHttp) -> str | None:
    """Why the method or a header cannot go on the wire as it is, or None.

    Checked here because http.client raises ValueError or UnicodeEncodeError for these,
    not a requests error, and a header value built from a label must not smuggle in a
    second header. Values are not repeated in the reason.
    """
    if _TOKEN.fullmatch(planned.method) is None:
        return f"{planned.method!r} is not an HTTP method"
    for name, value in planned.headers.items():
        if _TOKEN.fullmatch(name) is None:
            return f"header name {name!r} is not allowed in HTTP"
        if _HEADER_VALUE.fullmatch(value) is None:
            return f"header {name} holds characters an HTTP header cannot carry"
    return None


def _secret(name: str, secret_lookup: Callable[[str], str | None]) -> str | CallResult:
    """The secret's value, or the refusal saying where to put it."""
    try:
        value = secret_lookup(name)
    except SecretUnavailable as error:
        return CallResult(RunStatus.REFUSED, f"secret {name} unavailable: {error}")
    if not value:
        return CallResult(
            RunStatus.REFUSED,
            f"no secret {name}: set {environment_name(name)} or store it in the keyring "
            f"(noc-console secrets set {name})",
        )
    if _HEADER_VALUE.fullmatch(value) is None:
        return CallResult(
            RunStatus.REFUSED,
            f"secret {name} holds characters an HTTP header cannot carry (a newline?); "
            "store it again",
        )
    return value


def _exchange(
    planned: PlannedHttp,
    secret: str | None,
    timeout: float,
    allow: tuple[Network, ...],
    ca_bundle: str | None = None,
) -> CallResult:
    host = urlsplit(planned.url).hostname or planned.url
    started = time.monotonic()
    with _session(allow, ca_bundle) as session:
        try:
            response = session.request(
                planned.method.upper(),
                planned.url,
                headers=_headers(planned, secret),
                json=planned.body,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,
            )
        except TargetRefused as refused:
            return CallResult(RunStatus.REFUSED, f"{planned.url} refused: {refused.reason}")
        except requests.RequestException as error:
            return _request_failed(error, host, timeout)
        with response:
            try:
                body = _read_body(response, started + timeout)
            except _Deadline:
                return CallResult(
                    RunStatus.TIMED_OUT,
                    f"HTTP {response.status_code} from {host} but the body was still "
                    f"arriving after {timeout:g} s; gave up",
                )
            except (requests.RequestException, urllib3_errors.HTTPError) as error:
                return _body_failed(error, host, response.status_code, timeout)
    return _answer(response, body)


def _session(allow: tuple[Network, ...], ca_bundle: str | None = None) -> requests.Session:
    """A fresh session per call: no proxies, no .netrc, guarded connections only."""
    session = requests.Session()
    session.trust_env = False  # proxies and ~/.netrc would bypass or override the guard
    session.verify = ca_bundle or True  # verification stays on; a site CA may replace certifi
    adapter = GuardedAdapter(allow)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _headers(planned: PlannedHttp, secret: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, */*;q=0.5"}
    headers.update(planned.headers)
    if secret is not None:
        # replaces any Authorization the runbook set: the named secret is what was confirmed
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {secret}"
    return headers


def _read_body(response: requests.Response, deadline: float) -> bytes:
    """Up to READ_LIMIT bytes, giving up at the deadline even if bytes keep trickling in."""
    chunks: list[bytes] = []
    size = 0
    # read1 returns what has arrived (one socket read at most), so the clock is checked
    # between reads; a silent peer hits the per-read timeout instead
    while size < READ_LIMIT and (chunk := response.raw.read1(_CHUNK, decode_content=True)):
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise _Deadline
    return b"".join(chunks)[:READ_LIMIT]


def _answer(response: requests.Response, body: bytes) -> CallResult:
    """The result for a complete answer, by status class."""
    status = response.status_code
    text = body.decode("utf-8", "replace")
    line = f"HTTP {status} {_phrase(response)}"
    if 200 <= status < 300:
        return CallResult(RunStatus.SUCCEEDED, line, text)
    if 300 <= status < 400:
        target = response.headers.get("Location", "(no Location header)")
        return CallResult(RunStatus.FAILED, f"{line}: redirect to {target} not followed", text)
    return CallResult(RunStatus.FAILED, f"{line}: {server_message(body)}", text)


def _phrase(response: requests.Response) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason or ""


def server_message(body: bytes) -> str:
    """The error text a server gave, short: its JSON message, or the body's start."""
    return (server_words(body) or snippet(body) or "empty body")[:200]


def _request_failed(error: requests.RequestException, host: str, timeout: float) -> CallResult:
    """A request that got no answer: timeout, DNS, TLS, refused connection, bad header."""
    failure = network_failure(error)
    match failure.kind:
        case NetworkFailureKind.CONNECT_TIMEOUT:
            return CallResult(RunStatus.TIMED_OUT, f"no connection to {host} within {timeout:g} s")
        case NetworkFailureKind.READ_TIMEOUT:
            return CallResult(
                RunStatus.TIMED_OUT,
                f"no answer from {host} within {timeout:g} s (the request was sent; "
                "the action may still have run)",
            )
        case NetworkFailureKind.BAD_HEADER:
            return CallResult(
                RunStatus.FAILED, "a header value holds characters HTTP cannot carry (a newline?)"
            )
        case NetworkFailureKind.CERTIFICATE | NetworkFailureKind.TLS:
            return CallResult(RunStatus.FAILED, f"TLS with {host} failed: {failure.innermost}")
        case NetworkFailureKind.DNS:
            return CallResult(RunStatus.FAILED, f"cannot resolve {host}")
        case NetworkFailureKind.REFUSED:
            return CallResult(RunStatus.FAILED, f"{host} refused the connection")
    return CallResult(RunStatus.FAILED, f"request to {host} failed: {failure.innermost}")


def _body_failed(error: BaseException, host: str, status: int, timeout: float) -> CallResult:
    failure = network_failure(error)
    if failure.timed_out:
        return CallResult(
            RunStatus.TIMED_OUT,
            f"HTTP {status} from {host}, then silence for {timeout:g} s mid-body",
        )
    return CallResult(
        RunStatus.FAILED, f"HTTP {status} from {host}, then the body broke: {failure.innermost}"
    )


def _scrubbed(result: CallResult, secret: str | None) -> CallResult:
    """The result with every copy of the secret replaced, raw or JSON-escaped."""
    if not secret:
        return result
    scrubber = Scrubber((secret,), mask="[secret]")
    return CallResult(result.status, scrubber.text(result.summary), scrubber.text(result.output))
