"""The shared REST plumbing: what the Jira and ServiceNow suites do not reach directly."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import pytest
import requests
from pytest_httpserver import HTTPServer
from urllib3 import exceptions as urllib3_errors

from app.ticketing.base import ErrorKind, TicketingError
from app.ticketing.rest import RestTransport, network_words

NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)


@pytest.fixture
def transport(httpserver: HTTPServer) -> Iterator[RestTransport]:
    made = RestTransport(
        "Test 't'",
        httpserver.url_for("/api"),
        authorization="Bearer s3cret-token",
        hidden=("s3cret-token",),
        timeout=5.0,
        verify=True,
        clock=lambda: NOW,
        server_words=lambda raw: None,
        reset_after=lambda headers, now: 7.0 if "X-Reset" in headers else None,
    )
    yield made
    made.close()


def failure(transport: RestTransport, path: str = "thing") -> TicketingError:
    with pytest.raises(TicketingError) as caught:
        transport.call("GET", path)
    return caught.value


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "Sun, 29 Nov 2026 16:01:30 +0200"}, 90.0),  # an offset, not GMT
        ({"Retry-After": "Sun, 29 Nov 2026 13:00:00 GMT"}, 0.0),  # already past
        ({"Retry-After": "soon", "X-Reset": "x"}, 7.0),  # unreadable: the vendor's reset
        ({}, None),
    ],
)
def test_retry_after(
    httpserver: HTTPServer,
    transport: RestTransport,
    headers: Mapping[str, str],
    expected: float | None,
) -> None:
    httpserver.expect_request("/api/thing").respond_with_data("busy", 429, headers=dict(headers))
    error = failure(transport)
    assert (error.kind, error.retry_after) == (ErrorKind.RATE_LIMITED, expected)


def test_the_secret_is_scrubbed_from_an_echoed_body(
    httpserver: HTTPServer, transport: RestTransport
) -> None:
    httpserver.expect_request("/api/thing").respond_with_data(
        "bad token s3cret-token", 400, content_type="text/plain"
    )
    error = failure(transport)
    assert error.message == "text/plain: 'bad token [hidden]'"


def test_a_redirect_is_refused_and_not_retryable(
    httpserver: HTTPServer, transport: RestTransport
) -> None:
    httpserver.expect_request("/api/thing").respond_with_data(
        "", 301, headers={"Location": "https://elsewhere.example/api/thing"}
    )
    error = failure(transport)
    assert (error.kind, error.status, error.retryable) == (ErrorKind.REDIRECT, 301, False)
    assert "https://elsewhere.example/api/thing" in error.message


def test_no_credential_fails_without_a_request(httpserver: HTTPServer) -> None:
    transport = RestTransport(
        "Test 't'",
        httpserver.url_for("/api"),
        authorization=None,
        credential_problem="no secret stored for Test 't'",
        timeout=5.0,
        verify=True,
        clock=lambda: NOW,
        server_words=lambda raw: None,
    )
    error = failure(transport)
    assert (error.kind, error.message) == (ErrorKind.AUTH, "no secret stored for Test 't'")
    assert httpserver.log == []


def test_network_words() -> None:
    dns = requests.exceptions.ConnectionError(
        urllib3_errors.NameResolutionError("jira.invalid", None, OSError("no such host"))  # type: ignore[arg-type]
    )
    assert network_words(dns, 10) == "connection failed: DNS lookup failed"
    assert network_words(requests.exceptions.ConnectTimeout(), 10) == "no connection within 5 s"
    assert network_words(requests.exceptions.ConnectTimeout(), 2) == "no connection within 2 s"
