"""Measuring the GUI thread's event-loop latency: the gaps between ticks of a 10 ms timer."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer


class TickGaps:
    """A 10 ms timer on the GUI thread that records the milliseconds between its ticks.

    A gap much longer than 10 ms is a time the GUI could not react (a slot too slow, or
    the GIL held by a worker). Attributes: `gaps`, the measured gaps in ms.
    """

    def __init__(self, interval_ms: int = 10) -> None:
        self.gaps: list[int] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def start(self) -> None:
        self._clock.start()
        self._last = 0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def longest(self) -> int:
        return max(self.gaps, default=0)

    def _tick(self) -> None:
        now = self._clock.elapsed()
        self.gaps.append(now - self._last)
        self._last = now
