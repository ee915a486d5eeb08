"""Jira and ServiceNow agree on TLS and proxies: a private CA only through `ca_bundle`, a
proxy only through `proxy`; REQUESTS_CA_BUNDLE and HTTPS_PROXY in the environment change
nothing."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from app.config import load_config
from app.ticketing.base import ErrorKind, TicketingClient, TicketingError
from app.ticketing.factory import build_client
from app.ticketing.jira import JiraClient
from app.ticketing.servicenow import ServiceNowClient
from tests.helpers.bad_servers import self_signed
from tests.helpers.peers import free_port

__all__ = ["self_signed"]

EMAIL = "noc-bot@example.com"
TOKEN = "tlsCANARY0token000000000000000000000beef"
# every variable requests would read with trust_env on
ENVIRONMENT = (
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)
KINDS = pytest.mark.parametrize("kind", ["jira", "servicenow"])

MakeClient = Callable[..., TicketingClient]


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or CA variable from the machine running the tests."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def answer_checks(server: HTTPServer) -> None:
    """What `check()` reads: Jira's myself and project, ServiceNow's incident table."""
    server.expect_request("/rest/api/3/myself").respond_with_json({"emailAddress": EMAIL})
    server.expect_request("/rest/api/3/project/OPS").respond_with_json(
        {"key": "OPS", "name": "Operations"}
    )
    server.expect_request("/api/now/table/incident").respond_with_json({"result": []})


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Builds a Jira (Cloud) or ServiceNow (OAuth token) client; disconnects them after."""
    made: list[TicketingClient] = []

    def build(kind: str, url: str, **options: Any) -> TicketingClient:
        client: TicketingClient
        if kind == "jira":
            client = JiraClient(
                "jira-ops", url, project="OPS", user=EMAIL, token=TOKEN, timeout=5, **options
            )
        else:
            client = ServiceNowClient(
                "sn-prod",
                url,
                user=None,
                secret=TOKEN,
                assignment_group=None,
                impact_urgency=None,
                timeout=5,
                **options,
            )
        made.append(client)
        return client

    yield build
    for client in made:
        client.disconnect()


@pytest.fixture
def https_peer(self_signed: tuple[Path, Path]) -> Iterator[tuple[str, Path]]:
    """A ticketing peer over HTTPS with a self-signed certificate: its URL and the cert."""
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=free_port(), ssl_context=context)
    server.start()
    answer_checks(server)
    try:
        yield f"https://127.0.0.1:{server.port}", cert
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def proxy() -> Iterator[HTTPServer]:
    """A plain HTTP server standing in for a forward proxy: it answers what reaches it."""
    server = HTTPServer(host="127.0.0.1", port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def failure(client: TicketingClient) -> TicketingError:
    with pytest.raises(TicketingError) as caught:
        client.check()
    return caught.value


@KINDS
def test_a_private_ca_is_trusted_through_ca_bundle_only(
    kind: str, https_peer: tuple[str, Path], make_client: MakeClient
) -> None:
    url, cert = https_peer
    refused = failure(make_client(kind, url))
    assert refused.kind is ErrorKind.NETWORK
    assert "TLS certificate rejected: self-signed certificate" in refused.message
    assert f"(CA bundle {requests.utils.DEFAULT_CA_BUNDLE_PATH})" in refused.message
    assert make_client(kind, url, verify=str(cert)).check().startswith("ok: ")


@KINDS
def test_ca_and_proxy_variables_in_the_environment_change_nothing(
    kind: str,
    https_peer: tuple[str, Path],
    proxy: HTTPServer,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, cert = https_peer
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(cert))
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    assert requests.utils.get_environ_proxies(url)  # a trusting session would use the proxy

    refused = failure(make_client(kind, url))  # REQUESTS_CA_BUNDLE did not make it trusted
    assert "self-signed certificate" in refused.message
    assert make_client(kind, url, verify=str(cert)).check().startswith("ok: ")  # straight there
    assert proxy.log == []


@KINDS
def test_an_explicit_proxy_carries_the_calls(
    kind: str, proxy: HTTPServer, make_client: MakeClient
) -> None:
    answer_checks(proxy)
    target = f"127.0.0.1:{free_port()}"  # nothing listens there: only the proxy can answer
    client = make_client(kind, f"http://{target}", proxy=f"http://127.0.0.1:{proxy.port}")
    assert client.check().startswith("ok: ")
    assert proxy.log
    assert {request.headers["Host"] for request, _ in proxy.log} == {target}


@KINDS
def test_a_proxy_that_is_down_is_named_in_the_error(kind: str, make_client: MakeClient) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    error = failure(make_client(kind, "https://tickets.example", proxy=dead))
    assert (error.kind, error.retryable) == (ErrorKind.NETWORK, True)
    assert f"proxy {dead} failed" in error.message


@KINDS
@pytest.mark.parametrize(
    "proxy_url", ["socks5://127.0.0.1:1080", "127.0.0.1:3128", "http://user:pw@127.0.0.1:3128"]
)
def test_a_proxy_the_clients_cannot_use_is_refused(
    kind: str, proxy_url: str, make_client: MakeClient
) -> None:
    with pytest.raises(ValueError, match="proxy"):
        make_client(kind, "https://tickets.example", proxy=proxy_url)


@KINDS
def test_the_entrys_ca_bundle_reaches_the_client(
    kind: str, https_peer: tuple[str, Path], tmp_path: Path
) -> None:
    """From the config file (a path relative to it) through the factory to the session."""
    url, cert = https_peer
    (tmp_path / "site-ca.pem").write_bytes(cert.read_bytes())
    extra = 'project = "OPS"\nuser = "noc-bot@example.com"\n' if kind == "jira" else ""
    path = tmp_path / "noc.toml"
    path.write_text(
        f'[[ticketing]]\nname = "desk"\nkind = "{kind}"\nurl = "{url}"\n{extra}'
        'ca_bundle = "site-ca.pem"\n'
    )
    (entry,) = load_config(path).ticketing
    client = build_client(entry, lambda name: TOKEN)
    try:
        assert client.check().startswith("ok: ")
    finally:
        client.disconnect()
