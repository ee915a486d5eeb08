"""The webhook backend against a real local HTTP server: what arrives, and what comes back."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from ipaddress import ip_network
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.domain.runbook import Backend
from app.domain.runbook_progress import RunStatus
from app.runbooks.backends import execute
from app.runbooks.calls import ActionSettings, CallResult, PlannedCall, PlannedHttp
from app.secrets import SecretUnavailable
from tests.helpers.bad_servers import raw_server
from tests.helpers.peers import free_port

LOCAL = ActionSettings(allow_networks=(ip_network("127.0.0.0/8"),))
TOKEN = "s3cret-t0ken-abc"
SECRETS = {"rundeck": TOKEN}


def hook(
    url: str,
    *,
    method: str = "POST",
    body: Any = None,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    timeout: float = 2.0,
) -> PlannedCall:
    planned = PlannedHttp(method, url, headers or {}, body, secret)
    return PlannedCall(Backend.HTTP, timeout, http=planned)


def run(call: PlannedCall, settings: ActionSettings = LOCAL) -> CallResult:
    return execute(call, settings, secret_lookup=SECRETS.get)


@pytest.fixture
def base(httpserver: HTTPServer) -> Iterator[str]:
    """The server's base URL by address (the fixture binds 127.0.0.1)."""
    yield f"http://127.0.0.1:{httpserver.port}"
    httpserver.clear()


def test_post_arrives_exactly_and_201_succeeds(httpserver: HTTPServer, base: str) -> None:
    body = {"service": "checkout", "label": "x; rm -rf ~", "note": "{{7*7}}", "count": 3}
    httpserver.expect_oneshot_request(
        "/api/job/restart",
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "X-Team": "noc"},
    ).respond_with_json({"id": 42, "status": "queued"}, status=201)

    result = run(
        hook(f"{base}/api/job/restart", body=body, headers={"X-Team": "noc"}, secret="rundeck")
    )

    assert result.status is RunStatus.SUCCEEDED
    assert result.summary == "HTTP 201 Created"
    assert json.loads(result.output) == {"id": 42, "status": "queued"}
    ((request, _),) = httpserver.log
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == body  # the label went as data, not a template


def test_runbook_authorization_header_is_replaced_by_the_secret(
    httpserver: HTTPServer, base: str
) -> None:
    httpserver.expect_oneshot_request("/h").respond_with_data("ok")
    run(hook(f"{base}/h", headers={"authorization": "Basic x"}, secret="rundeck"))
    ((request, _),) = httpserver.log
    assert request.headers.getlist("Authorization") == [f"Bearer {TOKEN}"]


def test_get_without_body_sends_no_body(httpserver: HTTPServer, base: str) -> None:
    httpserver.expect_oneshot_request("/status", method="GET").respond_with_data("fine")
    result = run(hook(f"{base}/status", method="get"))
    assert (result.status, result.summary, result.output) == (
        RunStatus.SUCCEEDED,
        "HTTP 200 OK",
        "fine",
    )
    ((request, _),) = httpserver.log
    assert request.get_data() == b""


def test_server_error_fails_with_its_message(httpserver: HTTPServer, base: str) -> None:
    httpserver.expect_oneshot_request("/hook").respond_with_json(
        {"message": "job runner disk full"}, status=500
    )
    result = run(hook(f"{base}/hook"))
    assert result.status is RunStatus.FAILED
    assert result.summary == "HTTP 500 Internal Server Error: job runner disk full"


def test_client_error_with_a_plain_body(httpserver: HTTPServer, base: str) -> None:
    httpserver.expect_oneshot_request("/hook").respond_with_data("no such job\n", status=404)
    result = run(hook(f"{base}/hook"))
    assert (result.status, result.summary) == (RunStatus.FAILED, "HTTP 404 Not Found: no such job")


def test_redirect_to_metadata_is_not_followed(httpserver: HTTPServer, base: str) -> None:
    target = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    httpserver.expect_request("/hook").respond_with_data(
        "", status=302, headers={"Location": target}
    )
    result = run(hook(f"{base}/hook", secret="rundeck"))
    assert result.status is RunStatus.FAILED
    assert result.summary == f"HTTP 302 Found: redirect to {target} not followed"
    assert len(httpserver.log) == 1


def test_slow_answer_times_out(httpserver: HTTPServer, base: str) -> None:
    def slow(_: Request) -> Response:
        time.sleep(0.8)
        return Response("late")

    httpserver.expect_oneshot_request("/hook").respond_with_handler(slow)
    started = time.monotonic()
    result = run(hook(f"{base}/hook", timeout=0.3))
    assert time.monotonic() - started < 0.75
    assert result.status is RunStatus.TIMED_OUT
    assert "no answer from 127.0.0.1 within 0.3 s" in result.summary
    assert "may still have run" in result.summary


def test_dripping_body_hits_the_total_deadline() -> None:
    """A byte every 50 ms never trips the per-read timeout; the total deadline stops it."""
    with raw_server("drip", drip_interval=0.05) as url:
        started = time.monotonic()
        result = run(hook(f"{url}/hook", timeout=0.4))
    assert time.monotonic() - started < 1.5
    assert result.status is RunStatus.TIMED_OUT
    assert "still arriving after 0.4 s" in result.summary


def test_body_stalling_midway_times_out() -> None:
    with raw_server("hang") as url:
        result = run(hook(f"{url}/hook", timeout=0.3))
    assert result.status is RunStatus.TIMED_OUT
    assert "silence for 0.3 s mid-body" in result.summary


def test_loopback_without_allow_is_refused_unsent(httpserver: HTTPServer, base: str) -> None:
    httpserver.expect_request("/hook").respond_with_data("ran")
    result = run(hook(f"{base}/hook", secret="rundeck"), ActionSettings())
    assert result.status is RunStatus.REFUSED
    assert "127.0.0.1 is a loopback address" in result.summary
    assert httpserver.log == []


def test_name_resolving_to_loopback_is_refused_at_connect(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`localhost` is only known once resolved: the connection itself says no."""
    httpserver.expect_request("/hook").respond_with_data("ran")
    result = run(hook(f"http://localhost:{httpserver.port}/hook"), ActionSettings())
    assert result.status is RunStatus.REFUSED
    assert "localhost resolves to" in result.summary
    assert httpserver.log == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "http://u:p@127.0.0.1/"]
)
def test_bad_url_forms_are_refused(url: str) -> None:
    result = run(hook(url))
    assert result.status is RunStatus.REFUSED
    assert result.summary.startswith(f"{url} refused: ")


def test_missing_secret_is_refused_unsent(httpserver: HTTPServer, base: str) -> None:
    httpserver.expect_request("/hook").respond_with_data("ran")
    result = run(hook(f"{base}/hook", secret="jenkins-prod"))
    assert result.status is RunStatus.REFUSED
    assert result.summary.startswith("no secret jenkins-prod: set NOC_SECRET_JENKINS_PROD or")
    assert httpserver.log == []


def test_unreadable_keyring_is_refused(base: str) -> None:
    def locked(name: str) -> str | None:
        raise SecretUnavailable("the keyring is locked; set NOC_SECRET_RUNDECK")

    result = execute(hook(f"{base}/hook", secret="rundeck"), LOCAL, secret_lookup=locked)
    assert result.status is RunStatus.REFUSED
    assert "keyring is locked" in result.summary


def test_echoed_secret_never_comes_back(httpserver: HTTPServer, base: str) -> None:
    def echo(request: Request) -> Response:
        auth = request.headers["Authorization"]
        document = {"message": f"token {auth} is not allowed", "headers": dict(request.headers)}
        return Response(json.dumps(document), status=403, content_type="application/json")

    httpserver.expect_oneshot_request("/hook").respond_with_handler(echo)
    result = run(hook(f"{base}/hook", secret="rundeck"))
    assert result.status is RunStatus.FAILED
    assert result.summary == "HTTP 403 Forbidden: token Bearer [secret] is not allowed"
    assert TOKEN not in result.output
    assert "Bearer [secret]" in result.output


def test_secret_unfit_for_a_header_is_refused_unrepeated(base: str) -> None:
    bad = "line1\r\nX-Injected: yes"
    result = execute(hook(f"{base}/hook", secret="rundeck"), LOCAL, secret_lookup=lambda _: bad)
    assert result.status is RunStatus.REFUSED
    assert "secret rundeck holds characters an HTTP header cannot carry" in result.summary
    assert "line1" not in result.summary + result.output


@pytest.mark.parametrize(
    ("method", "headers", "reason"),
    [
        ("GE T", {}, "'GE T' is not an HTTP method"),
        ("POST\r\nX: y", {}, "is not an HTTP method"),
        ("POST", {"X-Service": "web\r\nX-Admin: 1"}, "header X-Service holds characters"),
        ("POST", {"X-Service": "caf\u00e9 \u2615"}, "header X-Service holds characters"),
        ("POST", {"Bad Name": "v"}, "header name 'Bad Name' is not allowed"),
    ],
)
def test_unsendable_method_or_header_is_refused_unsent(
    httpserver: HTTPServer, base: str, method: str, headers: dict[str, str], reason: str
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ran")
    result = run(hook(f"{base}/hook", method=method, headers=headers))
    assert result.status is RunStatus.REFUSED
    assert reason in result.summary
    assert httpserver.log == []


def test_closed_port_fails() -> None:
    result = run(hook(f"http://127.0.0.1:{free_port()}/hook"))
    assert (result.status, result.summary) == (RunStatus.FAILED, "127.0.0.1 refused the connection")


def test_unresolvable_host_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def nowhere(*_: Any, **__: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nowhere)
    result = run(hook("https://hooks.example.invalid/run"))
    assert (result.status, result.summary) == (
        RunStatus.FAILED,
        "cannot resolve hooks.example.invalid",
    )


def test_large_body_is_clipped(httpserver: HTTPServer, base: str) -> None:
    httpserver.expect_oneshot_request("/hook").respond_with_data("a" * 3000 + "b" * 3000 + "END")
    result = run(hook(f"{base}/hook"))
    assert result.status is RunStatus.SUCCEEDED
    assert len(result.output) <= 4000
    assert result.output.startswith("aaa")
    assert result.output.endswith("bbbEND")
    assert "characters cut" in result.output


def test_timeout_cap_wins_over_the_runbook(httpserver: HTTPServer, base: str) -> None:
    def slow(_: Request) -> Response:
        time.sleep(0.6)
        return Response("late")

    httpserver.expect_oneshot_request("/hook").respond_with_handler(slow)
    capped = ActionSettings(allow_networks=LOCAL.allow_networks, timeout_cap=0.2)
    result = run(hook(f"{base}/hook", timeout=30), capped)
    assert result.status is RunStatus.TIMED_OUT
    assert "within 0.2 s" in result.summary
