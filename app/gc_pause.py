"""Keeping the GIL free for the GUI while a poll's storm of objects comes and goes.

A storm's poll allocates a few hundred thousand short-lived, acyclic objects (JSON
documents, alerts, rows): reference counting frees them, yet their sheer number triggers
collections, and a full one walks every live object while holding the GIL, freezing the
GUI thread for 60-190 ms (benchmarks/test_gui_stall_bench.py). So polls run with the
collector paused. The pause is counted across overlapping polls on several source
threads, and when the last one ends the young generations are collected at once, so
cyclic garbage cannot pile up however busy the pollers are.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _CollectorPauses:
    """Counts overlapping pauses; the first disables the collector, the last restores it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._restore = False

    def enter(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._restore = gc.isenabled()
                gc.disable()
            self._depth += 1

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._restore:
                gc.enable()
                gc.collect(1)  # young generations only: a few ms, and nothing piles up


# One per process, like the collector it pauses.
_PAUSES = _CollectorPauses()


@contextmanager
def gc_paused() -> Iterator[None]:
    _PAUSES.enter()
    try:
        yield
    finally:
        _PAUSES.leave()


def release_gradually(items: list[Any], slice_size: int = 500) -> None:
    """Free a big list's objects a slice at a time, handing the GIL over in between.

    Dropping the last reference to 10k alerts frees a few hundred thousand objects in one
    C-level cascade that holds the GIL for 100 ms or more; a GUI thread waiting for it
    freezes that long. Emptying the list slice by slice spreads the same work out.
    """
    while items:
        del items[-slice_size:]
        time.sleep(0)  # the GUI thread may be waiting for the GIL
