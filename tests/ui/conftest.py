"""UI test fixtures: no QThread may outlive its test, a live demo console, isolated QSettings."""

from __future__ import annotations

import gc
import traceback
import weakref
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QThread, QThreadPool

from app.config import Config
from app.console import Console
from tests.helpers.ui_operator import Clock, Prompts
from ui.incident_actions import Prompt
from ui.main_window import MainWindow
from ui.severity_dialog import SeverityPrompt


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Collect each test's cyclic garbage here, on the GUI thread.

    A closed window, its signal lambdas and a failed test's traceback form cycles; left to
    the collector, they can be freed during the next test by whichever thread allocates
    next — a worker running a console call — and Qt objects destroyed off the GUI thread
    crashed the suite (seen once in CI, Python 3.13: a segfault under "Garbage-collecting"
    in a pool thread).
    """
    yield
    qapp.processEvents()
    gc.collect()


@pytest.fixture(autouse=True)
def _dangling_qthreads(monkeypatch: pytest.MonkeyPatch, qtbot) -> Iterator[None]:
    """Fail a test that leaves a QThread running or a thread pool busy (napari's fixture).

    Every started QThread and every QThreadPool that ran a task is remembered with the
    stack that started it, so the failure says who forgot to stop and join.
    """
    threads: weakref.WeakKeyDictionary[QThread, str] = weakref.WeakKeyDictionary()
    pools: weakref.WeakKeyDictionary[QThreadPool, str] = weakref.WeakKeyDictionary()
    thread_start = QThread.start
    pool_start = QThreadPool.start

    def start_thread(self: QThread, *args: object) -> None:
        threads[self] = "".join(traceback.format_stack(limit=12))
        thread_start(self, *args)

    def start_pool(self: QThreadPool, *args: object) -> None:
        pools[self] = "".join(traceback.format_stack(limit=12))
        pool_start(self, *args)

    monkeypatch.setattr(QThread, "start", start_thread)
    monkeypatch.setattr(QThreadPool, "start", start_pool)
    yield
    # a pool or thread deleted with its window (WA_DeleteOnClose) was joined by Qt then
    for kind in (threads, pools):
        for item in list(kind.keys()):
            if not shiboken6.isValid(item):
                del kind[item]
    running = [stack for thread, stack in list(threads.items()) if thread.isRunning()]
    busy = [stack for pool, stack in list(pools.items()) if pool.activeThreadCount()]
    for thread in list(threads.keys()):
        if thread.isRunning():  # do not let it crash the next test; the failure is reported
            thread.quit()
            thread.wait(5000)
    for pool in list(pools.keys()):
        pool.waitForDone(5000)
    if running or busy:
        where = "\n---\n".join(running + busy)
        pytest.fail(
            f"{len(running)} QThread(s) still running and {len(busy)} thread pool(s) still busy"
            f" after the test; started at:\n{where}"
        )


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path: Path) -> Iterator[None]:
    """QSettings caches its folder for the process: point it at this test's folder."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, str(folder))
    return


@pytest.fixture
def demo_console(tmp_path: Path) -> Iterator[Console]:
    """The console on the built-in demo estate, with its own database; shut down after."""
    console = Console.open(Config.demo(), database_url=f"sqlite:///{tmp_path / 'noc.db'}")
    try:
        yield console
    finally:
        console.shutdown()


@pytest.fixture
def polled_console(demo_console: Console, t0: datetime) -> Console:
    """The demo console after one poll at t0: the storm's incidents are on the wall."""
    demo_console.poll_once(t0)
    return demo_console


TRIAGE_POLICIES = """\
maintenance:
  - customer: globex
    service: globex-vpn
    from: 2026-11-29T09:00:00Z
    to: 2026-11-30T02:00:00Z
    reason: VPN concentrator swap
known_issues:
  - id: KI-12
    title: initech backup jobs fail during the nightly snapshot
    matchers: ['service="initech-backup"']
    ticket: OPS-881
    runbook: https://runbooks.example/backup-snapshot
"""


@pytest.fixture
def triage_console(tmp_path: Path, t0: datetime) -> Iterator[Console]:
    """The demo estate polled once at t0 under policies that suppress and badge: globex-vpn is
    in a maintenance window (its alerts are suppressed, not in any incident) and
    initech-backup matches known issue KI-12."""
    policies = tmp_path / "policies.yaml"
    policies.write_text(TRIAGE_POLICIES)
    config = replace(Config.demo(), policies_path=policies)
    console = Console.open(config, database_url=f"sqlite:///{tmp_path / 'triage.db'}")
    try:
        console.poll_once(t0)
        yield console
    finally:
        console.shutdown()


@pytest.fixture
def make_window(qtbot, t0: datetime) -> Iterator[Callable[..., MainWindow]]:
    """Open main windows on a console at `t0` (or on a `clock` the test moves), with scripted
    prompts; joined at teardown."""
    windows: list[MainWindow] = []

    def make(
        console: Console,
        *,
        wall: bool = False,
        prompt: Prompt | None = None,
        severity_prompt: SeverityPrompt | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> MainWindow:
        now = clock or (lambda: t0)
        window = MainWindow(
            console, wall=wall, clock=now, prompt=prompt, severity_prompt=severity_prompt
        )
        qtbot.addWidget(window)
        window.load(console.wall(now()), console.source_health())
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    # loads started by the test (alerts, the suppressed count) finish before the thread check
    for window in windows:
        window.runner.wait(10_000)


@pytest.fixture
def prompts() -> Prompts:
    return Prompts()


@pytest.fixture
def clock(t0: datetime) -> Clock:
    return Clock(t0)
