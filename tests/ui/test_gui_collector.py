"""Cycles are freed on the GUI thread, whichever thread made them garbage."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from ui.gui_collector import GuiThreadCollector, due_generation


class Cyclic:
    """An object in a reference cycle that records the thread that freed it."""

    freed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cyclic.freed_on.append(threading.current_thread().name)


HELD: list[list[int]] = []


def make_garbage_on_a_worker() -> None:
    """A cycle dropped on a worker thread, then enough allocation there (kept alive: the
    count is allocations minus frees) to pass the young generation's threshold."""

    def work() -> None:
        Cyclic()
        HELD.extend([n] for n in range(5_000))

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    gc.collect()
    Cyclic.freed_on.clear()
    yield
    HELD.clear()
    gc.enable()


def test_the_generation_due_follows_cpythons_thresholds() -> None:
    assert due_generation((10, 0, 0), (700, 10, 10)) is None
    assert due_generation((701, 0, 0), (700, 10, 10)) == 0
    assert due_generation((701, 11, 0), (700, 10, 10)) == 1
    assert due_generation((701, 11, 11), (700, 10, 10)) == 2
    assert due_generation((10_000, 0, 0), (0, 10, 10)) is None  # threshold 0: collection off


def test_without_it_a_worker_thread_frees_the_cycle() -> None:
    """The hazard itself (so the next test can fail): automatic collection runs wherever
    the allocation that passed the threshold happened."""
    make_garbage_on_a_worker()
    assert Cyclic.freed_on == ["worker"]


def test_with_it_the_gui_thread_frees_the_cycle(qtbot) -> None:  # type: ignore[no-untyped-def]
    collector = GuiThreadCollector(interval_ms=20)
    collector.start()
    try:
        assert not gc.isenabled()
        make_garbage_on_a_worker()
        assert Cyclic.freed_on == []
        qtbot.waitUntil(lambda: Cyclic.freed_on != [], timeout=2000)
        assert Cyclic.freed_on == [threading.main_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled()
