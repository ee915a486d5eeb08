"""The webhook URL guard: forms, forbidden addresses, allow-lists, and the pinned connection."""

from __future__ import annotations

import socket
from collections.abc import Callable
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from app.runbooks.url_guard import GuardedAdapter, TargetRefused, check_address, check_target
from tests.helpers.bad_servers import tls_server, wrong_host

__all__ = ["wrong_host"]

LOOPBACK = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    """Names the test controls: each lookup takes the next answer list (the last one repeats).

    Every other name goes to the real resolver, so servers and clients keep working.
    """
    names: dict[str, list[list[str]]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in names:
            return real(host, port, *args, **kwargs)
        answers = names[host].pop(0) if len(names[host]) > 1 else names[host][0]
        return [_answer(address, int(port)) for address in answers]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


def _answer(address: str, port: int) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.1.10/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://172.31.255.254/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        # the resolver reads these as 127.0.0.1, and so would the connection
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://017700000001/", "loopback"),
        ("http://127.1/", "loopback"),
    ],
)
def test_forbidden_addresses_are_refused(url: str, kind: str) -> None:
    reason = check_target(url)
    assert reason is not None
    assert kind in reason


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("file://host/share/x", "scheme 'file'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("ftp://example.com/x", "scheme 'ftp'"),
        ("gopher://127.0.0.1:25/", "scheme 'gopher'"),
        ("//evil.example/x", "scheme '(none)'"),
        ("http://user:pass@8.8.8.8/", "credentials"),
        ("http://8.8.8.8@127.0.0.1/", "credentials"),
        ("http:///just-a-path", "no host"),
        ("http://evil.example\\@127.0.0.1/", "backslash"),
        (" http://8.8.8.8/", "whitespace"),
        ("http://8.8.8.8/a\nHost: x", "whitespace"),
        ("http://127.0.0.%31/", "percent-encoded"),
        ("http://8.8.8.8:99999/", "not a valid URL"),
    ],
)
def test_bad_url_forms_are_refused(url: str, words: str) -> None:
    reason = check_target(url)
    assert reason is not None
    assert words in reason


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/hook", "http://1.1.1.1:8080/x?y=1", "https://[2606:4700:4700::1111]/"]
)
def test_public_ip_literals_are_allowed(url: str) -> None:
    assert check_target(url) is None


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("http://10.1.2.3/", "10.0.0.0/8"),
        ("http://192.168.1.10:4440/api", "192.168.1.0/24"),
        ("http://[::ffff:127.0.0.1]/", "127.0.0.0/8"),
        ("http://[fd00::5]/", "fd00::/8"),
    ],
)
def test_allow_networks_admit_private_targets(url: str, network: str) -> None:
    assert check_target(url, [ip_network(network)]) is None


def test_allow_networks_are_exact() -> None:
    reason = check_target("http://10.2.0.1/", [ip_network("10.1.0.0/16")])
    assert reason is not None
    assert "private" in reason


def test_localhost_is_allowed_only_with_loopback_listed() -> None:
    assert check_target("http://localhost/", LOOPBACK) is None


def test_any_forbidden_answer_taints_the_name(fake_dns: dict[str, list[list[str]]]) -> None:
    fake_dns["hook.example"] = [["93.184.216.34", "127.0.0.1"]]
    reason = check_target("https://hook.example/run")
    assert reason == (
        "hook.example resolves to 127.0.0.1, which is a loopback address; "
        "add its network to allow_networks if meant"
    )


def test_unresolvable_name_is_refused(fake_dns: dict[str, list[list[str]]]) -> None:
    reason = check_target("https://no-such-host.invalid/")
    assert reason is not None
    assert "cannot resolve no-such-host.invalid" in reason


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 around 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "::7f00:1",  # IPv4-compatible ::127.0.0.1
    ],
)
def test_ipv4_inside_ipv6_is_judged_too(address: str) -> None:
    assert check_address(ip_address(address)) is not None


def _guarded_session(allow: Any = ()) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(allow)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def test_rebinding_is_caught_at_connect(
    fake_dns: dict[str, list[list[str]]], httpserver: HTTPServer
) -> None:
    """The name is public when checked and loopback when connected: the connection refuses."""
    httpserver.expect_request("/hook").respond_with_data("ran")
    fake_dns["rebind.example"] = [["93.184.216.34"], ["127.0.0.1"]]
    url = f"http://rebind.example:{httpserver.port}/hook"
    assert check_target(url) is None
    with _guarded_session() as session, pytest.raises(TargetRefused, match="loopback"):
        session.get(url, timeout=2)
    assert httpserver.log == []


def test_guarded_session_reaches_allowed_networks(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook").respond_with_data("ran")
    with _guarded_session(LOOPBACK) as session:
        answer = session.get(f"http://127.0.0.1:{httpserver.port}/hook", timeout=2)
    assert answer.text == "ran"


def test_tls_is_verified_against_the_hostname(
    fake_dns: dict[str, list[list[str]]], wrong_host: tuple[Path, Path]
) -> None:
    """The socket goes to the pinned 127.0.0.1, yet SNI and the certificate check use the name.

    The certificate names only elsewhere.example (no IP): it passes for that name and
    fails for another name pointing at the same address.
    """
    cert, key = wrong_host
    fake_dns["elsewhere.example"] = [["127.0.0.1"]]
    fake_dns["other.example"] = [["127.0.0.1"]]
    with tls_server(cert, key) as base, _guarded_session(LOOPBACK) as session:
        port = base.rsplit(":", 1)[1]
        good = session.get(f"https://elsewhere.example:{port}/x", timeout=5, verify=str(cert))
        assert good.json() == {"ok": 1}
        with pytest.raises(requests.exceptions.SSLError, match="Hostname mismatch"):
            session.get(f"https://other.example:{port}/x", timeout=5, verify=str(cert))


def test_check_target_takes_any_iterable(fake_dns: dict[str, list[list[str]]]) -> None:
    networks: Callable[[], Any] = lambda: (n for n in [ip_network("10.0.0.0/8")])  # noqa: E731
    fake_dns["rundeck.lan"] = [["10.9.8.7"]]
    assert check_target("http://rundeck.lan/api", networks()) is None


def test_a_hook_behind_a_site_ca_verifies_against_the_configured_bundle(
    fake_dns: dict[str, list[list[str]]], wrong_host: tuple[Path, Path]
) -> None:
    """`[actions] ca_bundle`: the site's CA is trusted for hooks; without it the same hook
    fails TLS verification (never silently unverified)."""
    from app.domain.runbook_progress import RunStatus
    from app.runbooks.backends.http import send
    from app.runbooks.calls import PlannedHttp

    cert, key = wrong_host
    fake_dns["elsewhere.example"] = [["127.0.0.1"]]
    with tls_server(cert, key) as base:
        port = base.rsplit(":", 1)[1]
        planned = PlannedHttp("GET", f"https://elsewhere.example:{port}/x")
        trusted = send(
            planned,
            timeout=5,
            allow_networks=LOOPBACK,
            secret_lookup=lambda _: None,
            ca_bundle=str(cert),
        )
        untrusted = send(planned, timeout=5, allow_networks=LOOPBACK, secret_lookup=lambda _: None)
    assert trusted.status is RunStatus.SUCCEEDED, trusted.summary
    assert untrusted.status is RunStatus.FAILED
    assert "certificate" in untrusted.summary.lower() or "tls" in untrusted.summary.lower()
