"""The poll worker's thread and the action runner: results come back as signals, threads end."""

from __future__ import annotations

import gc
import threading
import weakref
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QThread

from app.console import Console
from app.domain.changes import ChangeSet
from ui.workers.actions import TaskRunner
from ui.workers.poll_worker import PollThread


class GatedConsole:
    """A console whose polls wait for the test to open a gate; counts them."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.polls = 0
        self.threads: set[int] = set()

    def poll_once(self, now: datetime) -> ChangeSet:
        self.threads.add(threading.get_ident())
        self.entered.set()
        self.gate.wait(10)
        self.polls += 1
        return ChangeSet(at=now)


class BrokenConsole:
    def poll_once(self, now: datetime) -> ChangeSet:
        raise RuntimeError("the database file is not writable")


def test_the_poll_thread_polls_the_demo_console_and_joins(
    qtbot, polled_console: Console, t0: datetime
) -> None:
    poller = PollThread(
        polled_console, interval=timedelta(seconds=60), clock=lambda: t0 + timedelta(minutes=1)
    )
    with qtbot.waitSignal(poller.polled, timeout=10_000) as polled:
        poller.start()
    changes = polled.args[0]
    assert isinstance(changes, ChangeSet)
    assert changes.at == t0 + timedelta(minutes=1)
    assert changes.sources
    assert changes.sources[0].name == "demo"
    assert poller.worker.thread() is poller.qthread
    assert poller.stop() is True
    assert not poller.running
    assert poller.qthread.isFinished()


def test_polls_run_off_the_gui_thread_and_requests_coalesce(qtbot, t0: datetime) -> None:
    console = GatedConsole()
    poller = PollThread(console, interval=timedelta(hours=1), clock=lambda: t0)
    polled: list[ChangeSet] = []
    poller.polled.connect(polled.append)
    poller.start()
    assert console.entered.wait(10)
    for _ in range(5):  # a burst of refresh requests while a poll runs
        poller.request_poll()
    console.gate.set()
    qtbot.waitUntil(lambda: len(polled) == 2, timeout=10_000)
    assert poller.stop() is True
    assert console.polls == 2  # the first, then one for the whole burst
    assert threading.get_ident() not in console.threads


def test_a_failed_poll_is_reported_and_the_next_one_runs(qtbot, t0: datetime) -> None:
    poller = PollThread(BrokenConsole(), interval=timedelta(hours=1), clock=lambda: t0)
    with qtbot.waitSignal(poller.poll_failed, timeout=10_000) as failed:
        poller.start()
    assert failed.args == ["the database file is not writable"]
    with qtbot.waitSignal(poller.poll_failed, timeout=10_000):
        poller.request_poll()
    assert poller.stop() is True


def test_stop_before_start_and_twice_is_harmless(qtbot, t0: datetime) -> None:
    poller = PollThread(GatedConsole(), interval=timedelta(hours=1), clock=lambda: t0)
    assert poller.stop() is True
    poller.worker._console.gate.set()  # type: ignore[attr-defined]
    poller.start()
    assert poller.stop() is True
    assert poller.stop() is True


def test_the_runner_delivers_results_and_errors_in_the_gui_thread(qtbot) -> None:
    runner = TaskRunner()
    gui = QThread.currentThread()
    seen: list[tuple[str, object, bool]] = []

    def remember(kind: str):
        return lambda value: seen.append((kind, value, QThread.currentThread() is gui))

    with qtbot.waitSignal(runner.action_finished, timeout=10_000):
        runner.submit("answer", threading.get_ident, on_result=remember("result"))
    with qtbot.waitSignal(runner.action_failed, timeout=10_000) as failed:
        runner.submit("boom", lambda: 1 / 0, on_error=remember("error"))
    assert runner.wait(5000)
    assert seen[0][0] == "result"
    assert seen[0][1] != threading.get_ident()
    assert seen[0][2]
    assert seen[1][0] == "error"
    assert isinstance(seen[1][1], ZeroDivisionError)
    assert seen[1][2]
    assert failed.args[0] == "boom"
    assert not runner.busy


def test_finished_tasks_let_their_calls_go(qtbot) -> None:
    """Nothing of a finished task stays alive: PySide 6.12 kept some QRunnable subclasses'
    wrappers (and so their closures) referenced from the pool for good."""

    class Call:
        def __call__(self) -> int:
            return 1

    runner = TaskRunner()
    alive: list[weakref.ref[Call]] = []
    delivered: list[object] = []
    for _ in range(300):
        call = Call()
        alive.append(weakref.ref(call))
        runner.submit("quick", call, on_result=delivered.append)
        del call
    assert runner.wait(10_000)
    qtbot.waitUntil(lambda: len(delivered) == 300, timeout=10_000)
    gc.collect()
    assert [ref for ref in alive if ref() is not None] == []


def test_a_synchronous_runner_answers_at_once() -> None:
    runner = TaskRunner(synchronous=True)
    got: list[object] = []
    runner.submit("now", lambda: 42, on_result=got.append)
    runner.submit("fail", lambda: {}["missing"], on_error=got.append)
    assert got[0] == 42
    assert isinstance(got[1], KeyError)


@pytest.mark.parametrize("count", [3])
def test_the_dangling_thread_guard_sees_our_threads(qtbot, count: int, t0: datetime) -> None:
    """A stopped PollThread leaves nothing behind (the autouse guard would fail this test)."""
    for _ in range(count):
        console = GatedConsole()
        console.gate.set()
        poller = PollThread(console, interval=timedelta(hours=1), clock=lambda: t0)
        with qtbot.waitSignal(poller.polled, timeout=10_000):
            poller.start()
        assert poller.stop()
