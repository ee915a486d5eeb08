"""RELIABILITY pollers 1: whatever goes wrong with one source, its alerts stay (stale), it says
exactly what went wrong, and the other source — a real Alertmanager — polls as usual."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from app.config import Config
from app.config.policies import load_policies
from app.config.settings import SourceConfig
from app.console import Console
from app.domain.health import SourceStatus
from app.domain.incident import IncidentState
from app.sources.demo import load_demo_estate
from app.sources.factory import build_sources
from app.store import Database
from tests.helpers.monitoring import alertmanager, am_alert, post_alerts
from tests.helpers.peers import Daemon

pytestmark = pytest.mark.integration
__all__ = ["alertmanager"]
DATA = Path(__file__).parents[1] / "data"
Fault = Callable[[HTTPServer], None]


def recorded_alerts() -> list[dict[str, object]]:
    return json.loads((DATA / "alertmanager-alerts.json").read_text())


def serve(server: HTTPServer, alerts: Callable[[HTTPServer], None]) -> None:
    server.clear()
    server.expect_request("/api/v2/status").respond_with_json({"versionInfo": {"version": "fake"}})
    server.expect_request("/api/v2/silences").respond_with_json([])
    alerts(server)


def answer(body: object, status: int = 200, **kwargs: object) -> Fault:
    """`/api/v2/alerts` answers this (JSON when not a string)."""

    def setup(server: HTTPServer) -> None:
        route = server.expect_request("/api/v2/alerts")
        if isinstance(body, str):
            route.respond_with_data(body, status=status, **kwargs)  # type: ignore[arg-type]
        else:
            route.respond_with_json(body, status=status)

    return setup


FAULTS: dict[str, tuple[Fault, str, SourceStatus]] = {
    "500": (answer("oops", 500), "server", SourceStatus.DOWN),
    "429": (
        answer("slow", 429, headers={"Retry-After": "120"}),
        "rate_limited",
        SourceStatus.RATE_LIMITED,
    ),
    "malformed JSON": (
        answer('[{"labels": ', content_type="application/json"),
        "payload",
        SourceStatus.DOWN,
    ),
    "HTML error page": (
        answer("<html><title>502 Bad Gateway</title></html>", content_type="text/html"),
        "payload",
        SourceStatus.DOWN,
    ),
    "401": (answer("", 401), "auth", SourceStatus.DOWN),
    "403": (answer("", 403), "auth", SourceStatus.DOWN),
    "one absurd alert": (answer([{"labels": {"alertname": 7}}]), "partial", SourceStatus.DEGRADED),
    "stopped": (lambda server: server.stop(), "refused", SourceStatus.DOWN),
}


@pytest.fixture
def console(tmp_path: Path, alertmanager: Daemon, httpserver: HTTPServer) -> Iterator[Console]:
    configs = (
        SourceConfig(
            name="real-am",
            kind="alertmanager",
            timeout=timedelta(seconds=3),
            options={"url": alertmanager.url},
        ),
        SourceConfig(
            name="flaky-am",
            kind="alertmanager",
            timeout=timedelta(seconds=3),
            options={"url": httpserver.url_for("/").rstrip("/")},
        ),
    )
    catalog = load_demo_estate()
    console = Console(
        Config(sources=configs),
        Database(f"sqlite:///{tmp_path / 'noc.db'}"),
        catalog=catalog,
        policies=load_policies(),
        sources=build_sources(configs, catalog, lambda name, field: None),
        operator="alice",
    )
    yield console
    console.shutdown()


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_faulty_source_keeps_its_alerts_and_names_the_fault(
    fault: str, console: Console, alertmanager: Daemon, httpserver: HTTPServer
) -> None:
    post_alerts(
        alertmanager.url, [am_alert("RealOne", customer="acme", service="acme-api", instance="a")]
    )
    serve(
        httpserver,
        lambda s: s.expect_request("/api/v2/alerts").respond_with_json(recorded_alerts()),
    )
    first = datetime.now(UTC)
    console.poll_once(first)
    before = {i.id: i for i in console.incidents()}
    flaky_incidents = {i.id for i in before.values() if "flaky-am" in i.sources}
    assert flaky_incidents
    assert any("real-am" in i.sources for i in before.values())

    setup, kind, status = FAULTS[fault]
    serve(httpserver, setup)
    changes = console.poll_once(first + timedelta(seconds=30))

    health = {h.name: h for h in changes.sources}
    assert health["real-am"].status is SourceStatus.OK
    assert health["flaky-am"].status is status
    assert health["flaky-am"].error_class == kind
    if status is not SourceStatus.DEGRADED:
        assert health["flaky-am"].stale_since == first
    assert changes.resolved == 0  # a blind or partial read resolves nothing
    after = {i.id: i for i in console.incidents()}
    assert all(after[i].state is IncidentState.NEW for i in flaky_incidents)
