"""The wall's flash: a pulsing frame around the whole window when a new P1 opens or an SLA
breaks, so the room sees it even when nobody is reading the list.

An overlay child that paints only a border and lets every mouse event through; it never
takes focus and stops by itself after a few pulses (a wall must not blink all night).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

PULSE_MS = 500
PULSES = 12  # six seconds of on/off


class WallFlash(QWidget):
    """A border that blinks over its parent widget.

    Attributes:
        colour: the border's colour (the flash's reason: P1 red by default).
        remaining: on/off phases left; 0 when idle.
        lit: whether the border is drawn now.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.colour = QColor("#e53935")
        self.remaining = 0
        self.lit = False
        self._timer = QTimer(self)
        self._timer.setInterval(PULSE_MS)
        self._timer.timeout.connect(self._pulse)
        self._over = parent
        parent.installEventFilter(self)
        self.setGeometry(parent.rect())
        self.hide()

    def flash(self, colour: QColor | None = None) -> None:
        """Start (or restart) the pulses; a second alarm during a flash extends it."""
        if colour is not None:
            self.colour = colour
        self.remaining = PULSES
        self.lit = True
        self.setGeometry(self._over.rect())
        self.raise_()
        self.show()
        self.update()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.remaining = 0
        self.lit = False
        self.hide()

    def _pulse(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.stop()
            return
        self.lit = not self.lit
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._over and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._over.rect())
        return False

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        if not self.lit:
            return
        painter = QPainter(self)
        width = max(8, self.height() // 60)  # thicker on a 4K wall
        pen = QPen(self.colour, width)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        inset = width // 2
        painter.drawRect(self.rect().adjusted(inset, inset, -inset - 1, -inset - 1))
