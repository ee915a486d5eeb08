"""Real Alertmanager and Prometheus servers (Debian packages) on free loopback ports.

Alertmanager has no API to delete alerts, so each test gets its own server with fresh
storage (it starts in about 0.1 s); Prometheus is shared by the session and runs a rule
file that really fires, one that stays pending, and one that fails to evaluate.
No inhibit rules: Alertmanager 0.25 takes 16-30 s per GET with one and 10k alerts (PEERS.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.peers import Daemon, free_port, require_program

ALERTMANAGER_CONFIG = """\
route: {receiver: 'null', group_by: ['alertname', 'service'], group_wait: 1s, group_interval: 5s, repeat_interval: 1h}
receivers: [{name: 'null'}]
"""

RULES = """\
groups:
  - name: noc-test
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: critical, service: noc-test, customer: acme, instance: synthetic}
        annotations: {summary: "always firing (value {{ $value }})", runbook_url: "https://runbooks.example.com/AlwaysFiring"}
      - alert: PendingForAnHour
        expr: vector(1)
        for: 1h
        labels: {severity: warning, service: noc-test, customer: globex}
        annotations: {summary: "stays pending for an hour"}
      - alert: BrokenRule
        expr: vector(1) * on() group_left() (vector(1) or label_replace(vector(2), "x", "y", "", ""))
        labels: {severity: warning}
        annotations: {summary: "never evaluates: many-to-many match"}
"""


def start_alertmanager(folder: Path) -> Daemon:
    binary = require_program("Alertmanager", "prometheus-alertmanager", "prometheus-alertmanager")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alertmanager.yml").write_text(ALERTMANAGER_CONFIG)
    port = free_port()
    return Daemon(
        "Alertmanager",
        [
            binary,
            f"--config.file={folder / 'alertmanager.yml'}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        f"http://127.0.0.1:{port}",
        folder / "alertmanager.log",
        "/-/ready",
    )


def start_prometheus(folder: Path, alertmanager_url: str | None = None) -> Daemon:
    binary = require_program("Prometheus", "prometheus", "prometheus")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rules.yml").write_text(RULES)
    port = free_port()
    alerting = (
        f"alerting: {{alertmanagers: [{{static_configs: [{{targets: ['{alertmanager_url.split('//')[1]}']}}]}}]}}\n"
        if alertmanager_url
        else ""
    )
    (folder / "prometheus.yml").write_text(
        "global: {scrape_interval: 5s, evaluation_interval: 1s, external_labels: {site: ci}}\n"
        f"rule_files: ['{folder / 'rules.yml'}']\n"
        + alerting
        + f"scrape_configs: [{{job_name: prometheus, static_configs: [{{targets: ['127.0.0.1:{port}']}}]}}]\n"
    )
    return Daemon(
        "Prometheus",
        [
            binary,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--rules.alert.resend-delay=1s",
            "--log.level=warn",
        ],
        f"http://127.0.0.1:{port}",
        folder / "prometheus.log",
        "/-/ready",
    )


def post_alerts(alertmanager_url: str, alerts: list[dict[str, Any]]) -> None:
    """Push alerts through Alertmanager's own API, as Prometheus would."""
    response = requests.post(f"{alertmanager_url}/api/v2/alerts", json=alerts, timeout=10)
    response.raise_for_status()


def am_alert(
    name: str, *, ends_in: timedelta = timedelta(hours=1), **labels: str
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{name} on {labels.get('instance', '?')}"},
        "startsAt": (now - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
        "endsAt": (now + ends_in).isoformat().replace("+00:00", "Z"),
        "generatorURL": "http://prometheus.example/graph",
    }


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Daemon]:
    daemon = start_alertmanager(tmp_path / "alertmanager")
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    daemon = start_prometheus(tmp_path_factory.mktemp("prometheus"))
    yield daemon
    daemon.stop()
