"""The Prometheus source and range queries against a real Prometheus 2.42 (Debian) with real rules."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.config.settings import SourceConfig
from app.sources.alertmanager import build as build_alertmanager
from app.sources.prometheus import PrometheusSource, QueryError, build
from tests.helpers.monitoring import alertmanager, prometheus, start_prometheus
from tests.helpers.peers import Daemon

pytestmark = pytest.mark.integration
__all__ = ["alertmanager", "prometheus"]


def source(url: str) -> PrometheusSource:
    config = SourceConfig(
        name="prom", kind="prometheus", timeout=timedelta(seconds=5), options={"url": url}
    )
    return build(config, catalog=None, secrets=lambda name, field: None)  # type: ignore[arg-type]


def wait_for(check, seconds: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds} s")


def test_firing_rules_become_alerts_and_a_broken_rule_degrades(prometheus: Daemon) -> None:
    prom = source(prometheus.url)

    def firing_and_broken():  # type: ignore[no-untyped-def]
        snapshot = prom.fetch(datetime.now(UTC))
        return snapshot if snapshot.alerts and snapshot.warning else None

    snapshot = wait_for(firing_and_broken)
    (alert,) = snapshot.alerts  # PendingForAnHour stays pending, BrokenRule never fires
    assert alert.alertname == "AlwaysFiring"
    assert alert.annotations["summary"] == "always firing (value 1)"
    assert alert.generator_url == f"{prometheus.url}/graph?g0.expr=vector%281%29&g0.tab=1"
    assert "alerting rules fail to evaluate (BrokenRule" in (snapshot.warning or "")
    assert snapshot.complete
    assert snapshot.details["rules"] == "3"
    prom.close()


def test_range_and_instant_queries(prometheus: Daemon) -> None:
    prom = source(prometheus.url)
    (up,) = wait_for(lambda: prom.queries.query("up", datetime.now(UTC)))  # the first scrape
    assert up.labels["job"] == "prometheus"
    assert up.points[0][1] == 1.0
    end = datetime.now(UTC)
    series = prom.queries.query_range(
        "vector(1)", end - timedelta(minutes=1), end, timedelta(seconds=10)
    )
    assert len(series) == 1
    assert all(value == 1.0 for _, value in series[0].points)
    with pytest.raises(QueryError, match="parse error"):
        prom.queries.query_range("up{", end - timedelta(minutes=1), end, timedelta(seconds=10))
    with pytest.raises(QueryError, match="11,000 points"):
        prom.queries.query_range("up", end - timedelta(days=30), end, timedelta(seconds=1))
    prom.close()


def test_prometheus_hands_its_alert_to_alertmanager(alertmanager: Daemon, tmp_path: Path) -> None:
    """The whole pipe: a rule fires in Prometheus, reaches Alertmanager, and the console reads it there."""
    pipeline = start_prometheus(tmp_path / "prometheus", alertmanager_url=alertmanager.url)
    try:
        config = SourceConfig(name="am", kind="alertmanager", options={"url": alertmanager.url})
        am = build_alertmanager(config, catalog=None, secrets=lambda name, field: None)  # type: ignore[arg-type]
        alerts = wait_for(lambda: am.fetch(datetime.now(UTC)).alerts, seconds=40)
        (alert,) = alerts
        assert alert.alertname == "AlwaysFiring"
        assert alert.labels["site"] == "ci"  # Prometheus's external label
        assert alert.generator_url
        assert "/graph?g0.expr=vector%281%29" in alert.generator_url
        am.close()
    finally:
        pipeline.stop()
