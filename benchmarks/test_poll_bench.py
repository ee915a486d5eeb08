"""poll_once: the demo storm, and a 10k-alert storm from one source, through engine and store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.console import Console
from benchmarks.alerts import alert_batch
from tests.helpers.consoles import demo_console, scripted_console
from tests.helpers.sources import ScriptedSource

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.mark.benchmark(group="poll_once")
def test_demo_storm_first_poll(benchmark: Any, tmp_path: Path) -> None:
    """The first poll of the demo estate: the storm opens every incident at once."""
    counter = [0]

    def setup() -> tuple[tuple[Console], dict[str, Any]]:
        counter[0] += 1
        console = demo_console(f"sqlite:///{tmp_path / f'demo{counter[0]}.db'}")
        console.sources[0].fetch(NOW)  # fix the anchor: the storm is in progress at NOW
        return (console,), {}

    def run(console: Console) -> None:
        changes = console.poll_once(NOW)
        assert changes.opened >= 3
        assert console.wall(NOW)[0].root_service == "acme-db"  # the storm, correlated
        console.shutdown()

    benchmark.pedantic(run, setup=setup, rounds=10, iterations=1)


@pytest.mark.benchmark(group="poll_once")
def test_demo_steady_poll(benchmark: Any, tmp_path: Path) -> None:
    """Every 5 s afterwards: the same alerts again, a few changes."""
    console = demo_console(f"sqlite:///{tmp_path / 'steady.db'}")
    console.poll_once(NOW)
    clock = [NOW]

    def run() -> None:
        clock[0] += timedelta(seconds=5)
        console.poll_once(clock[0])

    benchmark.pedantic(run, rounds=30, iterations=1)
    console.shutdown()


@pytest.mark.benchmark(group="poll_once: 10k-alert storm")
def test_storm_of_10k_alerts_first_poll(benchmark: Any, tmp_path: Path) -> None:
    """10,000 new alerts in 500 groups: 500 incidents opened, 10k occurrences stored."""
    alerts = alert_batch(10_000, NOW)
    counter = [0]

    def setup() -> tuple[tuple[Console], dict[str, Any]]:
        counter[0] += 1
        source = ScriptedSource("bench")
        source.set(alerts)
        return (scripted_console(f"sqlite:///{tmp_path / f'storm{counter[0]}.db'}", [source]),), {}

    def run(console: Console) -> None:
        changes = console.poll_once(NOW)
        assert changes.opened == 500
        console.shutdown()

    benchmark.pedantic(run, setup=setup, rounds=3, iterations=1)


@pytest.mark.benchmark(group="poll_once: 10k-alert storm")
def test_storm_of_10k_alerts_next_poll(benchmark: Any, tmp_path: Path) -> None:
    """The same 10k alerts again: refreshed in place, nothing opened."""
    source = ScriptedSource("bench")
    source.set(alert_batch(10_000, NOW))
    console = scripted_console(f"sqlite:///{tmp_path / 'storm.db'}", [source])
    console.poll_once(NOW)
    clock = [NOW]

    def run() -> None:
        clock[0] += timedelta(seconds=15)
        assert console.poll_once(clock[0]).opened == 0

    benchmark.pedantic(run, rounds=5, iterations=1)
    console.shutdown()
