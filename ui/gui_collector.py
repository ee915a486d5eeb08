"""Cyclic garbage collected on the GUI thread only.

CPython runs the cyclic collector in whichever thread happens to allocate when a
generation's count passes its threshold. Cycles that hold Qt objects (a closed wall
window and the lambdas connected to its signals, a dialog and its slots) are then freed
on a poll or task thread, and a QWidget destroyed off the GUI thread can crash the
process (seen once in the test suite: a segfault under "Garbage-collecting" in a pool
thread). With automatic collection off and a GUI timer collecting by the same
thresholds, cycles die where their widgets live. Reference counting still frees
everything that is not in a cycle, on any thread, at once.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

# how often the GUI thread looks at the counts; a storm's parse on a worker allocates
# a few hundred thousand objects a second, so the young generation is checked often
CHECK_INTERVAL_MS = 200


def due_generation(counts: tuple[int, int, int], thresholds: tuple[int, int, int]) -> int | None:
    """The oldest generation whose count passed its threshold (CPython's own rule), or
    None when no collection is due."""
    for generation in (2, 1, 0):
        if thresholds[generation] > 0 and counts[generation] > thresholds[generation]:
            return generation
    return None


class GuiThreadCollector(QObject):
    """Turns automatic collection off while it runs, and collects from its timer."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS):
        super().__init__(parent)
        self._was_enabled = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Back to automatic collection (after the windows and workers are gone)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> int | None:
        """Collect the generation that is due, if any; the generation collected."""
        thresholds = gc.get_threshold()
        generation = due_generation(gc.get_count(), (thresholds[0], thresholds[1], thresholds[2]))
        if generation is not None:
            gc.collect(generation)
        return generation
