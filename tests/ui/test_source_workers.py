"""One worker thread per source: a hanging source delays neither the others nor the GUI."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.console import Console
from app.domain.health import SourceStatus
from app.sources.base import Snapshot
from tests.helpers.consoles import scripted_console
from tests.helpers.event_loop import TickGaps
from tests.helpers.sources import ScriptedSource, make_alert
from ui.workers.poll_worker import PollThread


class HangingSource(ScriptedSource):
    """A peer that accepts the connection and never answers, until released."""

    def __init__(self) -> None:
        super().__init__(name="hung", interval=timedelta(milliseconds=300))
        self.release = threading.Event()
        self.entered = threading.Event()

    def fetch(self, now: datetime) -> Snapshot:
        self.entered.set()
        self.release.wait(30)
        return super().fetch(now)


@pytest.fixture
def two_sources(tmp_path: Path) -> Iterator[tuple[Console, ScriptedSource, HangingSource]]:
    healthy = ScriptedSource(name="healthy", interval=timedelta(milliseconds=300))
    healthy.set([make_alert("healthy", starts_at=datetime.now(UTC) - timedelta(minutes=1))])
    hung = HangingSource()
    console = scripted_console(f"sqlite:///{tmp_path / 'noc.db'}", [healthy, hung])
    yield console, healthy, hung
    hung.release.set()
    console.shutdown()


def test_a_hanging_source_delays_neither_the_others_nor_the_gui(qtbot, two_sources) -> None:  # type: ignore[no-untyped-def]
    console, healthy, hung = two_sources
    threads = [PollThread(p, interval=p.interval, name=p.name) for p in console.source_pollers()]
    polled: list[str] = []
    for thread in threads:
        thread.polled.connect(
            lambda changes: polled.append(",".join(h.name for h in changes.sources))
        )
        thread.start()

    ticks = TickGaps()  # the GUI thread's event loop latency while one source hangs
    ticks.start()
    try:
        assert hung.entered.wait(10)
        qtbot.waitUntil(lambda: healthy.calls >= 4, timeout=10_000)  # polled on time, repeatedly
    finally:
        ticks.stop()
        hung.release.set()
        for thread in threads:
            assert thread.stop()
    assert hung.calls == 1  # still in its first poll all along
    assert ticks.longest < 100, f"event loop stalled {ticks.longest} ms"
    health = {h.name: h for h in console.source_health()}
    assert health["healthy"].status is SourceStatus.OK


def test_the_worker_waits_for_the_schedule_retry_after(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from app.sources.base import RateLimited

    limited = ScriptedSource(name="limited", interval=timedelta(milliseconds=200))
    limited.error = RateLimited("429 slow down", retry_after=timedelta(seconds=120))
    console = scripted_console(f"sqlite:///{tmp_path / 'noc.db'}", [limited])
    (poller,) = console.source_pollers()
    thread = PollThread(poller, interval=poller.interval, name="limited")
    try:
        with qtbot.waitSignal(thread.polled, timeout=10_000) as blocker:
            thread.start()
        (health,) = blocker.args[0].sources
        assert health.status is SourceStatus.RATE_LIMITED
        assert health.retry_after_until is not None
        qtbot.wait(1000)  # five intervals: a naive timer would have polled five more times
        assert limited.calls == 1
    finally:
        assert thread.stop()
        console.shutdown()


def test_the_network_coming_back_polls_every_source_at_once(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtNetwork import QNetworkInformation

    from ui.app import poll_when_the_network_returns

    blind = ScriptedSource(name="vpn-only", interval=timedelta(minutes=10))
    console = scripted_console(f"sqlite:///{tmp_path / 'noc.db'}", [blind])
    (poller,) = console.source_pollers()
    thread = PollThread(poller, interval=poller.interval, name="vpn-only")
    try:
        with qtbot.waitSignal(thread.polled, timeout=10_000):
            thread.start()
        information = poll_when_the_network_returns([thread])
        if information is None:
            pytest.skip("no network-information backend on this machine")
        with qtbot.waitSignal(thread.polled, timeout=5_000):  # not ten minutes
            information.reachabilityChanged.emit(QNetworkInformation.Reachability.Online)
        assert blind.calls == 2
    finally:
        assert thread.stop()
        console.shutdown()
