"""The GUI thread during a 10,000-alert poll: the longest gap between 10 ms timer ticks.

Issue target: under 50 ms. The poll runs on the source's own worker thread (as in the app);
the GUI thread only applies the change set: the first poll opens ~500 incidents (rows
inserted), the next ones change nothing. A stall here is what an operator feels as a frozen
wall: the GIL held by a long C call in the worker (JSON parsing), a cyclic-GC pass over a
big heap, or a slow slot.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

import pytest

from app.console import utc_now
from benchmarks.test_sources_bench import alertmanager_source
from tests.helpers.consoles import scripted_console
from tests.helpers.event_loop import TickGaps
from tests.helpers.peers import Daemon
from ui.app import freeze_startup_heap, share_the_gil_promptly
from ui.main_window import MainWindow
from ui.workers.poll_worker import PollThread


def run_polls(qtbot: Any, tmp_path: Path, daemon: Daemon, polls: int) -> tuple[int, list[int]]:
    """(longest gap until the first poll is applied, the gaps during the later polls)."""
    console = scripted_console(f"sqlite:///{tmp_path / 'gui.db'}", [alertmanager_source(daemon)])
    window = MainWindow(console, clock=utc_now)
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    (poller,) = console.source_pollers()
    thread = PollThread(poller, interval=poller.interval, name="am")
    thread.polled.connect(window.apply_changes)
    freeze_startup_heap()  # as ui.app.run does once the window is built
    switch = share_the_gil_promptly()  # as ui.app.run does before the window is built
    ticks = TickGaps()
    ticks.start()
    done = [0]
    thread.polled.connect(lambda _changes: done.__setitem__(0, done[0] + 1))
    try:
        thread.start()
        qtbot.waitUntil(lambda: done[0] >= 1, timeout=60_000)
        first = ticks.longest
        first_ticks = len(ticks.gaps)
        for target in range(2, polls + 1):
            thread.request_poll()
            qtbot.waitUntil(lambda t=target: done[0] >= t, timeout=60_000)
    finally:
        ticks.stop()
        sys.setswitchinterval(switch)  # process-wide: the next test gets the default back
        assert thread.stop()
        window.shutdown()
        console.shutdown()
    return first, ticks.gaps[first_ticks:]


@pytest.mark.benchmark(group="GUI event loop during a 10k-alert poll")
def test_longest_gap_between_10ms_ticks(
    benchmark: Any, qtbot: Any, tmp_path: Path, loaded_alertmanager: Daemon
) -> None:
    results: list[tuple[int, list[int]]] = []

    def scenario() -> None:
        results.append(run_polls(qtbot, tmp_path / str(len(results)), loaded_alertmanager, polls=3))

    benchmark.pedantic(scenario, rounds=3, iterations=1)
    first_poll = [first for first, _ in results]
    steady = [max(gaps) for _, gaps in results]
    benchmark.extra_info["max_gap_first_poll_ms"] = first_poll
    benchmark.extra_info["max_gap_steady_polls_ms"] = steady
    # the longest gap also catches the machine's own noise (a neighbour, or the local
    # Alertmanager answering, taking both cores): the 99th percentile and the count of
    # gaps over 50 ms say more about the GIL and the slots from run to run
    p99 = [sorted(gaps)[int(len(gaps) * 0.99)] for _, gaps in results]
    over = [sum(gap > 50 for gap in gaps) for _, gaps in results]
    benchmark.extra_info["p99_gap_steady_polls_ms"] = p99
    benchmark.extra_info["gaps_over_50ms_steady_polls"] = over
    print(
        f"\nlongest GUI gap: storm's first poll (opens ~500 incidents) {statistics.median(first_poll)} ms "
        f"(runs {first_poll}); steady polls of the same 10k alerts {statistics.median(steady)} ms (runs {steady});"
        f" steady polls' 99th percentile {statistics.median(p99)} ms (runs {p99}), gaps over 50 ms {over}"
    )
