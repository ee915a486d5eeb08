"""The HTTP failure vocabulary the sources, the ticketing clients and the runbook hooks share."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime

import pytest
import requests
from urllib3 import exceptions as urllib3_errors

from app.http_errors import (
    NetworkFailureKind,
    Scrubber,
    causes,
    describe_body,
    header,
    network_failure,
    retry_after,
    server_words,
)

NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
Kind = NetworkFailureKind


def wrapped(outer: type[requests.RequestException], inner: BaseException) -> BaseException:
    """`outer` raised from `inner`, as requests chains them."""
    try:
        try:
            raise inner
        except BaseException as error:
            raise outer(error) from error
    except requests.RequestException as raised:
        return raised


def refused() -> BaseException:
    reason = urllib3_errors.NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    reason.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return requests.exceptions.ConnectionError(urllib3_errors.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def rejected_certificate() -> BaseException:
    verification = ssl.SSLCertVerificationError(1, "certificate verify failed")
    verification.verify_message = "self-signed certificate"
    return wrapped(requests.exceptions.SSLError, urllib3_errors.SSLError(verification))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            requests.exceptions.ConnectionError(
                urllib3_errors.NameResolutionError("peer.invalid", None, OSError("no such host"))  # type: ignore[arg-type]
            ),
            Kind.DNS,
        ),
        (requests.exceptions.ConnectTimeout(), Kind.CONNECT_TIMEOUT),
        (requests.exceptions.ReadTimeout(), Kind.READ_TIMEOUT),
        (urllib3_errors.ReadTimeoutError(None, "/x", "read timed out"), Kind.READ_TIMEOUT),  # type: ignore[arg-type]
        (refused(), Kind.REFUSED),
        (requests.exceptions.SSLError("wrong version number"), Kind.TLS),
        (
            requests.exceptions.ProxyError(
                urllib3_errors.ProxyError("Unable to connect to proxy", ConnectionRefusedError())
            ),
            Kind.PROXY,  # not REFUSED: the proxy refused, not the peer
        ),
        (urllib3_errors.ProtocolError("Connection broken", ConnectionResetError()), Kind.BROKEN),
        (requests.exceptions.ConnectionError(ConnectionResetError(104, "reset")), Kind.CONNECTION),
        (requests.exceptions.TooManyRedirects(), Kind.OTHER),
    ],
)
def test_network_failures_are_classified_by_type(error: BaseException, kind: Kind) -> None:
    assert network_failure(error).kind is kind


def test_a_rejected_certificate_says_why_and_keeps_the_deepest_cause() -> None:
    failure = network_failure(rejected_certificate())
    assert failure.kind is Kind.CERTIFICATE
    assert failure.certificate == "self-signed certificate"
    assert failure.innermost.startswith("SSLCertVerificationError")


def test_a_header_no_http_can_carry_is_never_quoted() -> None:
    secret = "tok\nen-123"
    error = requests.exceptions.InvalidHeader(
        f"Invalid leading whitespace in header value {secret!r}"
    )
    failure = network_failure(error)
    assert failure.kind is Kind.BAD_HEADER
    assert "tok" not in failure.innermost


def test_timeouts_count_as_timed_out() -> None:
    assert network_failure(requests.exceptions.ConnectTimeout()).timed_out
    assert network_failure(requests.exceptions.ReadTimeout()).timed_out
    assert not network_failure(refused()).timed_out


def test_a_cause_chain_that_loops_ends() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert causes(first) == [first, second]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"retry-after": " 2.5 "}, 2.5),  # any capitalisation; a fraction is tolerated
        ({"Retry-After": "Sun, 29 Nov 2026 16:01:30 +0200"}, 90.0),  # an offset, not GMT
        ({"Retry-After": "Sun, 29 Nov 2026 14:01:00 -0000"}, 60.0),  # no zone: UTC
        ({"Retry-After": "Sun, 29 Nov 2026 13:00:00 GMT"}, 0.0),  # already past
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "9" * 13}, None),  # not a delay anyone means
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(headers, NOW) == expected


def test_header_lookup_ignores_capitalisation() -> None:
    assert header({"x-ratelimit-reset": " 17 "}, "X-RateLimit-Reset") == "17"
    assert header({}, "X-RateLimit-Reset") == ""


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'"matcher value contains a quote"', "matcher value contains a quote"),  # Alertmanager
        (b'{"status": "error", "error": "not ready"}', "not ready"),  # Prometheus
        (b'{"errors": ["Forbidden", "Bad key"]}', "Forbidden; Bad key"),  # Datadog
        (b'{"errors": [{"status": "400", "detail": "bad filter"}]}', "bad filter"),  # JSON:API
        (b'{"error": true, "message": "no such job"}', "no such job"),  # Rundeck
        (b'{"error": {"code": 404, "message": "gone"}}', "gone"),
        (b'{"error": true}', None),
        (b"<html><title>502</title></html>", None),
        (b"", None),
    ],
)
def test_server_words(body: bytes, words: str | None) -> None:
    assert server_words(body) == words


def test_describe_body() -> None:
    assert describe_body(b"  ", "text/plain") == "empty body"
    page = b"<html><title>\n  Log in\n - Jira </title></html>"
    assert describe_body(page, "text/html") == "an HTML page titled 'Log in - Jira'"
    assert describe_body(b"line one\nline two", None) == "unknown type: 'line one line two'"
    assert describe_body(b"x" * 500, "text/plain; charset=utf-8") == f"text/plain: {'x' * 200!r}"


def test_the_scrubber_masks_raw_and_json_escaped_copies() -> None:
    secret = 'pa"ss\\word-42'
    scrubber = Scrubber((secret, "", None), mask="[secret]")
    echoed = "raw " + secret + " json " + json.dumps({"token": secret})
    assert scrubber.text(echoed) == 'raw [secret] json {"token": "[secret]"}'
    assert scrubber.body(echoed.encode()) == b'raw [secret] json {"token": "[secret]"}'
    assert Scrubber(()).text("nothing to hide") == "nothing to hide"
