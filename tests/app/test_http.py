"""The HTTP layer under faults: every failure is typed, bounded in time and leaks nothing."""

from __future__ import annotations

import gzip
import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from app.http import HttpClient, HttpSettings, retry_after_of
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
    SourceTimeout,
    TlsError,
)
from tests.helpers.bad_servers import raw_server, self_signed, tls_server, wrong_host
from tests.helpers.peers import free_port

__all__ = ["self_signed", "wrong_host"]
FAST = HttpSettings(connect_timeout=1.0, deadline=1.0, retries=2, backoff=0.01, backoff_cap=0.02)


def client(url: str, settings: HttpSettings = FAST, **kwargs: object) -> HttpClient:
    return HttpClient(url, settings, **kwargs)  # type: ignore[arg-type]


def test_json_with_clock_skew_and_size(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api").respond_with_data(
        '{"ok": true}', content_type="application/json"
    )
    answer = client(httpserver.url_for("/")).get_json("/api")
    assert answer.data == {"ok": True}
    assert answer.status == 200
    assert answer.clock_skew is not None  # from the server's Date header
    assert abs(answer.clock_skew) < timedelta(seconds=2)
    assert answer.size == len(b'{"ok": true}')
    assert answer.header("content-type") == "application/json"


def test_gzip_bodies_are_decoded(httpserver: HTTPServer) -> None:
    body = gzip.compress(json.dumps({"alerts": list(range(1000))}).encode())
    httpserver.expect_request("/z").respond_with_response(
        Response(body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    )
    assert len(client(httpserver.url_for("/")).get_json("/z").data["alerts"]) == 1000


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (401, '{"errors": ["Unauthorized"]}', AuthFailed, "401: Unauthorized"),
        (403, '{"errors": ["Forbidden"]}', AuthFailed, "403: Forbidden"),
        (404, "", NotFound, "404: empty body"),
        (
            400,
            '"matcher value contains unescaped double quote: acme\\""',
            BadRequest,
            "unescaped double quote",
        ),
        (
            500,
            "<html><title>500 Internal Server Error</title></html>",
            ServerError,
            "HTML page titled '500 Internal",
        ),
        (503, '{"status": "error", "error": "not ready"}', ServerError, "not ready"),
    ],
)
def test_error_statuses_are_typed_with_the_server_s_words(
    httpserver: HTTPServer, status: int, body: str, error: type[Exception], words: str
) -> None:
    httpserver.expect_request("/x").respond_with_data(
        body, status=status, content_type="application/json"
    )
    with pytest.raises(error, match=words):
        client(httpserver.url_for("/")).get_json("/x")


def test_429_carries_retry_after_and_is_not_retried_here(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    with pytest.raises(RateLimited) as caught:
        client(httpserver.url_for("/")).get_json("/x")
    assert caught.value.retry_after == timedelta(seconds=120)
    assert len(httpserver.log) == 1


def test_datadog_rate_limit_headers_count_as_retry_after() -> None:
    assert retry_after_of({"X-RateLimit-Reset": "17", "X-RateLimit-Remaining": "0"}) == timedelta(
        seconds=17
    )
    assert retry_after_of({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == timedelta(0)
    assert retry_after_of({}) is None


def test_502_is_retried_within_the_deadline(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/x").respond_with_data("bad gateway", status=502)
    httpserver.expect_ordered_request("/x").respond_with_json([1, 2])
    assert client(httpserver.url_for("/")).get_json("/x").data == [1, 2]


def test_502_gives_up_after_the_retries(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("bad gateway", status=502)
    with pytest.raises(ServerError, match="502"):
        client(httpserver.url_for("/")).get_json("/x")
    assert len(httpserver.log) == 3  # the call and two retries


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        ('{"alerts": [', "application/json", "did not answer JSON"),
        (
            "<html><head><title>Login - SSO</title></head></html>",
            "text/html",
            "HTML page titled 'Login - SSO'",
        ),
        ("", "application/json", "empty body"),
    ],
)
def test_malformed_answers_are_bad_payloads(
    httpserver: HTTPServer, body: str, content_type: str, words: str
) -> None:
    httpserver.expect_request("/x").respond_with_data(body, content_type=content_type)
    with pytest.raises(BadPayload, match=words):
        client(httpserver.url_for("/")).get_json("/x")


def test_a_20_mb_payload_is_refused_past_the_limit(httpserver: HTTPServer) -> None:
    payload = b"[" + b"1," * (10 * 1024 * 1024) + b"1]"  # 20 MiB of valid JSON
    httpserver.expect_request("/big").respond_with_data(payload, content_type="application/json")
    small = HttpSettings(deadline=10, max_bytes=16 * 1024 * 1024)
    with pytest.raises(BadPayload, match="more than 16 MiB"):
        client(httpserver.url_for("/"), small).get_json("/big")
    roomy = HttpSettings(deadline=30, max_bytes=64 * 1024 * 1024)
    assert len(client(httpserver.url_for("/"), roomy).get_json("/big").data) == 10 * 1024 * 1024 + 1


def test_redirects_are_refused_and_credentials_never_leave(httpserver: HTTPServer) -> None:
    elsewhere = HTTPServer(host="127.0.0.1", port=free_port())
    elsewhere.start()
    try:
        elsewhere.expect_request("/steal").respond_with_json({"stolen": True})
        httpserver.expect_request("/x").respond_with_data(
            "", status=302, headers={"Location": elsewhere.url_for("/steal")}
        )
        secret = {"DD-API-KEY": "canary-7f3e"}
        with pytest.raises(Redirected, match="not following"):
            client(httpserver.url_for("/"), headers=secret).get_json("/x")
        assert elsewhere.log == []
    finally:
        elsewhere.clear()
        elsewhere.stop()


def test_dns_failure_is_reported_as_such() -> None:
    with pytest.raises(DnsFailure, match=r"DNS lookup failed for noc-peer\.invalid"):
        client("http://noc-peer.invalid:9093").get_json("/api/v2/alerts")


def test_refused_connection() -> None:
    started = time.monotonic()
    with pytest.raises(ConnectionRefused, match="refused"):
        client(f"http://127.0.0.1:{free_port()}").get_json("/x")
    assert time.monotonic() - started < FAST.deadline + 0.5


def test_a_self_signed_certificate_is_rejected_unless_its_ca_is_configured(
    self_signed: tuple[Path, Path],
) -> None:
    cert, key = self_signed
    with tls_server(cert, key) as url:
        with pytest.raises(TlsError, match="self-signed certificate") as caught:
            client(url).get_json("/x")
        assert "CA bundle" in str(caught.value)
        trusted = HttpSettings(deadline=5, ca_bundle=str(cert))
        assert client(url, trusted).get_json("/x").data == {"ok": 1}
        assert trusted.ca_bundle_in_use == str(cert)


def test_a_certificate_for_another_host_is_a_hostname_mismatch(
    wrong_host: tuple[Path, Path],
) -> None:
    cert, key = wrong_host
    with tls_server(cert, key) as url:
        trusted = HttpSettings(deadline=5, ca_bundle=str(cert))  # trusted, but not for this host
        with pytest.raises(TlsError, match=r"(?i)mismatch"):
            client(url, trusted).get_json("/x")


def test_a_peer_hanging_mid_body_times_out() -> None:
    with raw_server("hang") as url:
        started = time.monotonic()
        with pytest.raises(SourceTimeout):
            client(url, HttpSettings(connect_timeout=1, deadline=0.5)).get_json("/x")
        assert time.monotonic() - started < 2


def test_a_slow_drip_is_cut_at_the_deadline() -> None:
    with raw_server("drip", drip_interval=0.05) as url:
        started = time.monotonic()
        with pytest.raises(SourceTimeout, match="still sending"):
            client(url, HttpSettings(connect_timeout=1, deadline=0.5)).get_json("/x")
        assert time.monotonic() - started < 1.5


def test_threads_and_sockets_stay_flat_over_many_failed_polls() -> None:
    """RELIABILITY pollers 3: a hung peer, polled again and again, leaks nothing."""
    with raw_server("hang") as url:
        failing = client(url, HttpSettings(connect_timeout=0.5, deadline=0.05, retries=0))
        for _ in range(5):  # warm up lazily created pools
            with pytest.raises(SourceTimeout):
                failing.get_json("/x")
        threads, sockets = threading.active_count(), len(list(Path("/proc/self/fd").iterdir()))
        for _ in range(100):
            with pytest.raises(SourceTimeout):
                failing.get_json("/x")
        assert threading.active_count() <= threads
        assert len(list(Path("/proc/self/fd").iterdir())) <= sockets + 2
        failing.close()
