"""Monitoring sources at storm size: parsing 10k Alertmanager alerts, and polling them from a
real Alertmanager into the store.

Alertmanager 0.25 answers the 4.7 MB GET of 10k alerts in 0.3-0.45 s, but takes 16-30 s once
an inhibit rule is configured (quadratic; fixed upstream in 0.30): the server here has no
inhibit rules, as a production one with that version should not either at this size.
"""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.config.settings import SourceConfig
from app.console import Console
from app.sources.alertmanager import parse_alerts
from app.sources.base import Source
from app.sources.demo import load_demo_estate
from app.sources.factory import build_source
from benchmarks.alerts import alert_batch, am_payload
from tests.helpers.consoles import scripted_console
from tests.helpers.peers import Daemon
from tests.helpers.sources import ScriptedSource

NOW = datetime.now(UTC)
COUNT = 10_000
MEDIANS: dict[str, float] = {}


BODY = am_payload(COUNT, NOW)


@pytest.mark.benchmark(group="parse 10k Alertmanager alerts")
def test_bare_json_loads(benchmark: Any) -> None:
    benchmark.pedantic(lambda: json.loads(BODY), rounds=10, iterations=1)
    MEDIANS["json"] = benchmark.stats.stats.median


@pytest.mark.benchmark(group="parse 10k Alertmanager alerts")
def test_parse_and_normalise(benchmark: Any) -> None:
    parsed = benchmark.pedantic(
        lambda: parse_alerts(orjson.loads(BODY), "am", NOW), rounds=10, iterations=1
    )
    assert len(parsed.alerts) == COUNT
    median = benchmark.stats.stats.median
    benchmark.extra_info["alerts_per_s"] = round(COUNT / median)
    if "json" in MEDIANS:
        benchmark.extra_info["x_json_loads"] = round(median / MEDIANS["json"], 2)
    print(
        f"\nparse+normalise: {COUNT / median:,.0f} alerts/s, {median / MEDIANS.get('json', median):.2f}x json.loads"
    )


def alertmanager_source(daemon: Daemon) -> Source:
    config = SourceConfig(
        name="am", kind="alertmanager", timeout=timedelta(seconds=30), options={"url": daemon.url}
    )
    return build_source(config, load_demo_estate(), lambda name, field: None)


def filled_console(tmp_path: Path, daemon: Daemon, name: str) -> Console:
    """A console whose store already holds 100k alerts (of another source), polling the real AM."""
    history = ScriptedSource("history")
    history.set(alert_batch(100_000, NOW, source="history", groups=2000))
    console = scripted_console(
        f"sqlite:///{tmp_path / name}", [history, alertmanager_source(daemon)]
    )
    console.poll_source("history", NOW)
    return console


@pytest.mark.benchmark(group="poll 10k alerts from a real Alertmanager into a 100k-row store")
def test_first_poll_opens_everything(
    benchmark: Any, tmp_path: Path, loaded_alertmanager: Daemon
) -> None:
    counter = [0]

    def setup() -> tuple[tuple[Console], dict[str, Any]]:
        counter[0] += 1
        return (filled_console(tmp_path, loaded_alertmanager, f"first{counter[0]}.db"),), {}

    def poll(console: Console) -> None:
        changes = console.poll_source("am", NOW + timedelta(seconds=5))
        assert changes.alerts == COUNT
        console.shutdown()

    benchmark.pedantic(poll, setup=setup, rounds=3, iterations=1)


@pytest.mark.parametrize("gc_paused", [False, True], ids=["gc-on", "gc-paused"])
@pytest.mark.benchmark(group="poll 10k alerts from a real Alertmanager into a 100k-row store")
def test_steady_poll(
    benchmark: Any, tmp_path: Path, loaded_alertmanager: Daemon, gc_paused: bool
) -> None:
    console = filled_console(tmp_path, loaded_alertmanager, "steady.db")
    console.poll_source("am", NOW)
    clock = [NOW]

    def poll() -> None:
        clock[0] += timedelta(seconds=15)
        if gc_paused:
            gc.disable()
        try:
            assert console.poll_source("am", clock[0]).opened == 0
        finally:
            gc.enable()

    benchmark.pedantic(poll, rounds=5, iterations=1)
    console.shutdown()
