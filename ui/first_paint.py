"""The window's first paint, seen once (the startup benchmark and the smoke test wait for it)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal


class FirstPaintWatch(QObject):
    """Reports the first Paint event of the widgets it watches, once, then stops watching.

    Attributes:
        seen: whether a paint has been seen.

    Signals:
        painted(): the first Paint event arrived.
    """

    painted = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.seen = False
        self._watched: list[QObject] = []

    def watch(self, widget: QObject) -> None:
        widget.installEventFilter(self)
        self._watched.append(widget)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            # a Python filter costs a call per event: stop watching once it has served
            for widget in self._watched:
                widget.removeEventFilter(self)
            self._watched.clear()
            self.painted.emit()
        return False
