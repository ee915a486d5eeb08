"""The incident wall at scale (issue 6): 50,000 incidents in history, 2,000 open.

Issue targets: the 1 s tick under 10 ms, a change set of 1,000 updated incidents under
60 ms, filter and sort under 100 ms (benchmarks/test_wall_filter_bench.py), and
memory after 24 h of refreshes within 10 % of the first hour (the soak: `-k soak` runs it
alone, `-k "not soak"` the rest). Each time runs until the view has painted (the offscreen
platform: add a few ms per frame on a real display, PERF.md 4).
"""

from __future__ import annotations

import ctypes
import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QApplication

from app.console import Console
from app.domain.changes import ChangeSet
from app.domain.incident import Incident, IncidentState
from app.domain.severity import Severity
from benchmarks.wall import (
    NOW,
    OPEN,
    OPERATOR_SIZE,
    Estate,
    build_history,
    isolated_settings,
    open_window,
)
from benchmarks.wall_churn import SOURCE, WallChurn
from tests.helpers.consoles import scripted_console
from tests.helpers.sources import ScriptedSource
from tests.helpers.ui_operator import Clock
from ui.main_window import MainWindow

TICK_TARGET_S = 0.010
CHANGES_TARGET_S = 0.060
CHANGED = 1_000
MOVED_SHARE = 0.1  # of a change set's incidents, those whose urgency (row) changes


class PaintCount(QObject):
    """Counts the Paint events of a widget (proof that a timed round really painted)."""

    def __init__(self, widget: QObject) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


@pytest.fixture(scope="module")
def history_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """50,000 closed incidents and 2,000 open ones (about 6 s to build, once per module)."""
    return build_history(tmp_path_factory.mktemp("wall-history") / "history.db")


@pytest.fixture
def history_console(history_url: str) -> Iterator[Console]:
    console = scripted_console(history_url, [ScriptedSource("alertmanager")])
    yield console
    console.shutdown()


def shut(window: MainWindow) -> None:
    window.shutdown()


def report(benchmark: Any, what: str, target_s: float, **extra: object) -> None:
    stats = benchmark.stats.stats
    ratio = stats.median / target_s
    benchmark.extra_info.update(
        median_ms=round(stats.median * 1000, 2), target_ms=target_s * 1000, x_target=round(ratio, 2)
    )
    benchmark.extra_info.update(extra)
    details = "".join(f", {k} {v}" for k, v in extra.items())
    print(
        f"\n{what}: median {stats.median * 1000:.1f} ms (min {stats.min * 1000:.1f}, max "
        f"{stats.max * 1000:.1f}), {ratio:.2f}x the {target_s * 1000:.0f} ms target{details}"
    )


# ---------------------------------------------------------------------- a. the 1 s tick


@pytest.mark.parametrize("mode", ["operator", "wall"])
@pytest.mark.benchmark(group="wall: 1 s tick, 2,000 open of 52,000")
def test_tick_with_2000_open(
    benchmark: Any, qtbot: Any, tmp_path: Path, history_console: Console, mode: str
) -> None:
    """MainWindow.tick() and the repaint of the visible SLA cells it goes with, one second
    later each round (crossings that come due show their toasts, as they would)."""
    clock = Clock(NOW)
    wall = mode == "wall"
    window = open_window(qtbot, history_console, clock, tmp_path, wall=wall)
    assert window.model.rowCount() == OPEN
    if not wall:
        window.table.select_row(0)  # the side panel's countdown ticks too
    painted = PaintCount(window.table.viewport())
    tick_only: list[float] = []

    def tick() -> None:
        clock.now += timedelta(seconds=1)
        start = time.perf_counter()
        window.tick()
        tick_only.append(time.perf_counter() - start)
        # the worst case: every visible countdown changed this second (h:mm:ss clocks);
        # the view skips cells whose text and look stayed, which this wall's mostly are
        window.table._sla_painted.clear()
        window.table.repaint_sla_cells()  # what the same timer's other slot does
        QApplication.processEvents()  # the paint it scheduled

    try:
        before = painted.count
        benchmark.pedantic(tick, rounds=60, warmup_rounds=3, iterations=1)
        assert painted.count - before >= 60  # every round painted the SLA cells
    finally:
        shut(window)
    report(
        benchmark,
        f"1 s tick, {mode} mode, {OPEN:,} open",
        TICK_TARGET_S,
        tick_slot_median_ms=round(statistics.median(tick_only[3:]) * 1000, 2),
        toasts=len(window.notifier.history),
    )


# ---------------------------------------------------------------------- b. a change set


def updated(incident: Incident, rng: random.Random, moves: bool) -> Incident:
    """The next stored version: most gain alerts and a new title; `moves` ones change
    what orders the wall (acknowledged, escalated in severity, or resolved)."""
    version = incident.version + 1
    if not moves:
        return replace(
            incident,
            version=version,
            title=f"{incident.title.split(' (')[0]} ({incident.alert_count + 1} alerts)",
            alert_count=incident.alert_count + 1,
        )
    at = NOW + timedelta(seconds=rng.randrange(1, 60))
    if incident.state is IncidentState.NEW:
        changed = incident.acknowledge("alice", at)
    elif incident.state.active and incident.severity is not Severity.P1:
        changed = replace(incident, severity=Severity.P1)
    elif incident.state.active:
        changed = incident.resolve("alice", at)
    else:
        changed = incident.reopen("system", at, "recurred")
    return replace(changed, version=version)


def change_set(window: MainWindow, rng: random.Random) -> ChangeSet:
    """1,000 of the wall's incidents in their next version, a tenth of them moving."""
    incidents = rng.sample(list(window.model.incidents()), CHANGED)
    upserted = tuple(updated(i, rng, n < CHANGED * MOVED_SHARE) for n, i in enumerate(incidents))
    return ChangeSet(upserted=upserted, updated=CHANGED, at=NOW)


@pytest.mark.benchmark(group="wall: a change set of 1,000 updated incidents")
def test_change_set_of_1000_updates(
    benchmark: Any, qtbot: Any, tmp_path: Path, history_console: Console
) -> None:
    """MainWindow.apply_changes with 1,000 new versions (100 of them move rows), until the
    view has painted; operator mode at 1600x900 with the top row selected."""
    clock = Clock(NOW)
    window = open_window(qtbot, history_console, clock, tmp_path)
    window.table.select_row(0)
    rng = random.Random(6)
    painted = PaintCount(window.table.viewport())
    slot: list[float] = []

    def setup() -> tuple[tuple[ChangeSet], dict[str, Any]]:
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
        QApplication.processEvents()
        return (change_set(window, rng),), {}

    def apply(changes: ChangeSet) -> None:
        start = time.perf_counter()
        window.apply_changes(changes)
        slot.append(time.perf_counter() - start)
        QApplication.processEvents()  # the layout and the paint that follow

    try:
        before = painted.count
        benchmark.pedantic(apply, setup=setup, rounds=15, warmup_rounds=1, iterations=1)
        assert painted.count - before >= 15
        assert window.model.rowCount() >= OPEN - CHANGED * MOVED_SHARE  # resolved stay
    finally:
        shut(window)
    report(
        benchmark,
        f"change set of {CHANGED:,} updates on {OPEN:,} rows",
        CHANGES_TARGET_S,
        slot_median_ms=round(statistics.median(slot[1:]) * 1000, 2),
    )


# ---------------------------------------------------------------------- c. sort and filter

# Not here: filtering by text and sorting by a column (target 100 ms) are in
# benchmarks/test_wall_filter_bench.py, with the model's Python-side filter and sort.


# ---------------------------------------------------------------------- d. the 24 h soak

SOAK_POLLS = 24 * 120  # a poll every 30 s
PAINT_EVERY = 40  # polls between paints (20 simulated minutes): the paint is the same
# each time and costs most; 72 full repaints a day still show what painting leaves behind
SOAK_LIMIT = 0.10


def rss_bytes(*, trimmed: bool = False) -> int:
    """The process's resident set; `trimmed`: after glibc handed its free pages back, so
    what stays is memory in use (a midday peak's freed heap is not a leak)."""
    if trimmed and sys.platform == "linux":
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def pump_events() -> None:
    """What one turn of the real event loop does: queued results, paints, deleteLater."""
    QApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


@dataclass
class MemoryPoint:
    """Memory and object counts at one moment of the soak (hour 0: when the window opens)."""

    hour: int
    traced: int  # bytes of Python heap tracemalloc sees alive (allocated since it started)
    rss: int  # the process's resident set, less tracemalloc's own tables
    rss_trimmed: int  # the same after glibc's malloc_trim: memory in use
    qobjects: int  # the window's QObject children
    widgets: int  # every QWidget in the application
    gc_objects: int
    rows: int
    sizes: dict[str, int]  # the window's growable containers
    snapshot: Path  # the tracemalloc snapshot, dumped (alive, it would weigh on the RSS)

    def line(self) -> str:
        sizes = ", ".join(f"{k} {v}" for k, v in self.sizes.items())
        return (
            f"hour {self.hour:2d}: traced {self.traced / 2**20:.2f} MiB, RSS"
            f" {self.rss / 2**20:.1f} MiB ({self.rss_trimmed / 2**20:.1f} MiB trimmed),"
            f" {self.qobjects} QObjects, {self.widgets} widgets, {self.gc_objects} gc objects,"
            f" {self.rows} rows; {sizes}"
        )


def container_sizes(window: MainWindow) -> dict[str, int]:
    """The sizes of what could grow with every poll (private: read for the report only)."""
    notifier = window.notifier
    panel = window.side_panel
    return {
        "model._gone": len(getattr(window.model, "_gone", ())),
        "model._by_id": len(getattr(window.model, "_by_id", ())),
        "sla_watch._next": len(getattr(window._sla_watch, "_next", ())),
        "notifier._seen": len(getattr(notifier, "_seen", ())),
        "notifier.history": len(notifier.history),
        "toasts": len(notifier.stack.toasts),
        "runner._pending": len(getattr(window.runner, "_pending", ())),
        "timeline rows": panel.timeline.rowCount() if panel is not None else 0,
    }


def memory_point(window: MainWindow, hour: int, folder: Path) -> MemoryPoint:
    window.runner.wait(30_000)
    pump_events()
    pump_events()
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0]
    own = tracemalloc.get_tracemalloc_memory()
    rss, trimmed = rss_bytes() - own, rss_bytes(trimmed=True) - own
    snapshot = tracemalloc.take_snapshot()
    path = folder / f"hour{hour}.tracemalloc"
    snapshot.dump(str(path))
    del snapshot
    return MemoryPoint(
        hour=hour,
        traced=traced,
        rss=rss,
        rss_trimmed=trimmed,
        qobjects=len(window.findChildren(QObject)),
        widgets=len(QApplication.allWidgets()),
        gc_objects=len(gc.get_objects()),
        rows=window.model.rowCount(),
        sizes=container_sizes(window),
        snapshot=path,
    )


@dataclass
class SoakWindow:
    """The console, the window and the day's churn and clock of one soak run."""

    console: Console
    window: MainWindow
    churn: WallChurn
    clock: Clock

    def poll(self) -> None:
        """One simulated poll into the window, and the tick at its moment."""
        changes = self.churn.poll()
        self.clock.now = self.churn.now
        self.window.apply_changes(changes)
        self.window.tick()
        self.window.table.repaint_sla_cells()
        if self.window.selected_incident() is None:  # it left the wall: take the next
            self.window.table.select_row(0)

    def close(self) -> None:
        self.window.runner.wait(30_000)
        shut(self.window)
        self.console.shutdown()


def soak_window(qtbot: Any, folder: Path) -> SoakWindow:
    folder.mkdir(parents=True, exist_ok=True)
    console = scripted_console(f"sqlite:///{folder / 'soak.db'}", [ScriptedSource(SOURCE)])
    start = NOW.replace(hour=0)
    clock = Clock(start)
    churn = WallChurn(Estate(console), start)
    window = MainWindow(
        console,
        clock=clock,
        settings=isolated_settings(folder),
        desktop=lambda _title, _text, _severity: None,
    )
    qtbot.addWidget(window)
    window.table.sla_timer.stop()  # the day's clock drives the tick
    window.load(churn.initial(), ())
    window.resize(*OPERATOR_SIZE)
    window.show()
    qtbot.waitExposed(window)
    window.table.select_row(0)
    return SoakWindow(console, window, churn, clock)


@pytest.mark.benchmark(group="wall: 24 h soak (memory)")
def test_wall_soak_24h(benchmark: Any, qtbot: Any, tmp_path: Path) -> None:
    """2,880 polls of a simulated day (30 s apart, about 7,500 incidents through a wall of
    200 to 2,000) into the real window: model, view, notifier, side panel on a selected
    incident, each poll followed by the 1 s tick at the poll's time (crossings and their
    toasts). Memory after hour 24 within 10 % of hour 1: the walls then are alike (about
    290 incidents of the night), so what differs is what the day left behind.

    A short warm-up run first does what happens once per process (imports, migrations,
    compiled statements, Qt's enum types), so tracemalloc, started after it, sees the
    console's and window's own Python heap whatever ran before. RSS is the whole
    process (less tracemalloc's own tables), also after glibc's malloc_trim: memory in use,
    not the pages the midday peak left in the allocator.
    """
    warm_up = soak_window(qtbot, tmp_path / "warm-up")
    for _ in range(60):
        warm_up.poll()
    pump_events()
    warm_up.close()
    del warm_up
    pump_events()
    gc.collect()
    tracemalloc.start()
    soak = soak_window(qtbot, tmp_path / "soak")
    window = soak.window
    # hour 0: also makes the Python wrappers that counting QObjects and widgets creates,
    # so that they are in the baseline and not in the growth
    points: dict[int, MemoryPoint] = {0: memory_point(window, 0, tmp_path)}
    hours: list[float] = []

    def day() -> None:
        began = time.perf_counter()
        for poll in range(1, SOAK_POLLS + 1):
            soak.poll()
            if poll % PAINT_EVERY == 0:
                pump_events()
            else:  # results and paints wait for the next pump; deletions do not
                QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
            if poll % 120 == 0:
                hour = poll // 120
                hours.append(time.perf_counter() - began)
                if hour in (1, 24):
                    points[hour] = memory_point(window, hour, tmp_path)
                began = time.perf_counter()

    try:
        benchmark.pedantic(day, rounds=1, iterations=1)
    finally:
        tracemalloc.stop()
        soak.close()
    first, last = points[1], points[24]
    growth = {
        "traced": last.traced / first.traced - 1,
        "rss": last.rss / first.rss - 1,
        "rss_trimmed": last.rss_trimmed / first.rss_trimmed - 1,
        "qobjects": last.qobjects / first.qobjects - 1,
    }
    benchmark.extra_info.update(
        traced_mib=[round(p.traced / 2**20, 2) for p in (first, last)],
        rss_mib=[round(p.rss / 2**20, 1) for p in (first, last)],
        rss_trimmed_mib=[round(p.rss_trimmed / 2**20, 1) for p in (first, last)],
        growth={k: round(v, 3) for k, v in growth.items()},
        qobjects=[first.qobjects, last.qobjects],
        sizes=[first.sizes, last.sizes],
        seconds_per_hour=[round(h, 1) for h in hours],
    )
    print("\n" + "\n".join(point.line() for point in points.values()))
    print(
        "growth hour 1 -> 24: "
        + ", ".join(f"{k} {v:+.1%}" for k, v in growth.items())
        + f" (limit {SOAK_LIMIT:.0%}); simulated hours took {min(hours):.1f}-{max(hours):.1f} s"
    )
    print("largest growth by line (tracemalloc, hour 24 against hour 1):")
    later, earlier = (tracemalloc.Snapshot.load(str(p.snapshot)) for p in (last, first))
    for stat in later.compare_to(earlier, "lineno")[:12]:
        print(f"  {stat}")
    assert growth["qobjects"] <= SOAK_LIMIT
    assert growth["traced"] <= SOAK_LIMIT
    assert growth["rss_trimmed"] <= SOAK_LIMIT
