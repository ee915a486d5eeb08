"""The status bar: one lamp per source, suppressed alerts, the last poll, and passing messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QPointF, QSize, Qt, QTimer
from PySide6.QtGui import QFontMetricsF, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QStatusBar, QToolButton, QWidget

from app.domain.health import SourceHealth, SourceStatus
from ui import theme
from ui.local_time import day_and_time, hm, hms
from ui.suppressed import count_text

Clock = Callable[[], datetime]

MESSAGE_MS = 15_000  # how long a passing message (an action's outcome) stays

STATUS_WORDS = {
    SourceStatus.OK: "ok",
    SourceStatus.DEGRADED: "degraded",
    SourceStatus.DOWN: "down",
    SourceStatus.RATE_LIMITED: "rate limited",
    SourceStatus.UNKNOWN: "not polled yet",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def age(then: datetime, now: datetime) -> str:
    """'just now', '12 s ago', '3 min ago', '2 h ago': how old the last answer is."""
    seconds = int((now - then).total_seconds())
    if seconds < 5:
        return "just now"
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def lamp_text(health: SourceHealth, now: datetime | None = None) -> str:
    """'demo · ok · 14 alerts · 3 s ago', 'prod-am · down · stale since 14:02',
    'dd · rate limited until 14:05 · stale since 14:02'."""
    words = STATUS_WORDS[health.status]
    if health.status in (SourceStatus.OK, SourceStatus.DEGRADED):
        count = health.alert_count
        text = f"{health.name} \u00b7 {words} \u00b7 {count} alert{'s' if count != 1 else ''}"
        if now is not None and health.last_success is not None:
            text += f" \u00b7 {age(health.last_success, now)}"
        return text
    if health.status is SourceStatus.UNKNOWN:
        return f"{health.name} \u00b7 {words}"
    if health.status is SourceStatus.RATE_LIMITED and health.retry_after_until is not None:
        words = f"{words} until {hm(health.retry_after_until)}"
    # a source that never answered has nothing stale: it has shown nothing yet
    since = health.stale_since or health.last_success
    stale = (
        f"stale since {hm(since)}"
        if health.last_success is not None and since
        else "never answered"
    )
    return f"{health.name} \u00b7 {words} \u00b7 {stale}"


def lamp_tooltip(health: SourceHealth, now: datetime | None = None) -> str:
    """The error in words, when the source last answered, what happens next, and its details."""
    lines = [f"{health.name} ({health.kind}): {STATUS_WORDS[health.status]}"]
    if health.error:
        kind = f" [{health.error_class}]" if health.error_class else ""
        lines.append(f"{health.error}{kind}")
    if health.last_success is not None:
        lines.append(f"last answered {day_and_time(health.last_success, now)}")
    if health.last_attempt is not None:
        lines.append(f"last polled {day_and_time(health.last_attempt, now)}")
    if health.circuit == "open":
        lines.append(f"{health.failures} failed polls in a row: backing off")
    if health.next_attempt is not None:
        lines.append(f"next poll {day_and_time(health.next_attempt, now)}")
    lines.extend(f"{key}: {value}" for key, value in sorted(health.details.items()))
    return "\n".join(lines)


class SourceLamp(QWidget):
    """A coloured lamp and a line of text for one source.

    Attributes:
        health: the health shown.
        label: the text beside the lamp.

    Signals:
        (none)
    """

    def __init__(self, health: SourceHealth, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dot = _LampDot(self)
        self.label = QLabel(self)
        self._layout = QHBoxLayout(self)
        self._layout.addWidget(self._dot)
        self._layout.addWidget(self.label)
        self._fit_spacing()
        self.health = health
        self.set_health(health)

    def _fit_spacing(self) -> None:
        """Gaps in ems of the lamp's font, so they grow with a scaled font."""
        em = QFontMetricsF(self.font()).height()
        side = round(em * 0.28)
        self._layout.setContentsMargins(side, 0, side, 0)
        self._layout.setSpacing(round(em * 0.43))

    def set_health(
        self, health: SourceHealth, now: datetime | None = None, *, show_age: bool = True
    ) -> None:
        self.health = health
        self._dot.status = health.status
        self._dot.update()
        self.label.setText(lamp_text(health, now if show_age else None))
        self.setToolTip(lamp_tooltip(health, now))

    def setFont(self, font) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().setFont(font)
        self.label.setFont(font)
        self._fit_spacing()
        self._dot.updateGeometry()


class _LampDot(QWidget):
    """The round lamp itself; its size follows the font."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.status = SourceStatus.UNKNOWN
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        side = max(10, round(QFontMetricsF(self.font()).height() * 0.8))
        return QSize(side, side)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = theme.theme_for(self.palette()).lamps[self.status]
        side = min(self.width(), self.height())
        line = max(1.0, side / 14)  # the rim: 1 px on a desktop lamp, thicker on a 4K wall
        painter.setPen(QPen(colour.darker(140), line))
        painter.setBrush(colour)
        radius = side / 2 - line
        painter.drawEllipse(QPointF(self.width() / 2, self.height() / 2), radius, radius)
        painter.end()


class SourceLamps(QWidget):
    """A row of lamps, one per source, in the order the console lists them.

    Attributes:
        lamps: source name -> its SourceLamp.

    Signals:
        (none)
    """

    def __init__(
        self, parent: QWidget | None = None, *, clock: Clock = _utc_now, show_age: bool = True
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.lamps: dict[str, SourceLamp] = {}
        # the wall is read from across the room: short lamps, no ticking ages
        self.show_age = show_age
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(round(QFontMetricsF(self.font()).height() * 0.86))
        # the "3 s ago" ages move between polls: a few labels, re-set once a second
        self._ages = QTimer(self)
        self._ages.setInterval(1000)
        self._ages.timeout.connect(self.refresh_ages)
        if show_age:
            self._ages.start()

    def refresh_ages(self) -> None:
        now = self.clock()
        for lamp in self.lamps.values():
            lamp.label.setText(lamp_text(lamp.health, now if self.show_age else None))

    def set_source_health(self, health: Sequence[SourceHealth]) -> None:
        now = self.clock()
        names = [item.name for item in health]
        if names != list(self.lamps):
            for lamp in self.lamps.values():
                self._layout.removeWidget(lamp)
                lamp.deleteLater()
            self.lamps = {}
            for item in health:
                lamp = SourceLamp(item, self)
                lamp.setFont(self.font())
                self.lamps[item.name] = lamp
                self._layout.addWidget(lamp)
        for item in health:
            self.lamps[item.name].set_health(item, now, show_age=self.show_age)

    def all_ok(self) -> bool:
        """Every source answered completely on its last poll (and there is at least one)."""
        return bool(self.lamps) and all(
            lamp.health.status is SourceStatus.OK for lamp in self.lamps.values()
        )

    def setFont(self, font) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().setFont(font)
        self._layout.setSpacing(round(QFontMetricsF(font).height() * 0.86))
        for lamp in self.lamps.values():
            lamp.setFont(font)


class ConsoleStatusBar(QStatusBar):
    """The window's status bar: source lamps, a message line, and the last poll on the right.

    Messages go to a label of our own rather than `showMessage`, which would hide the
    lamps while a message shows: a source going down must stay visible.

    Attributes:
        sources: the SourceLamps row.
        message_label: the latest action outcome or error.
        suppressed_button: "3 suppressed"; the window opens the list when it is clicked.
        last_poll_label: "last poll 14:02:33".

    Signals:
        (none beyond QStatusBar's)
    """

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = _utc_now) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setSizeGripEnabled(False)
        self.sources = SourceLamps(self, clock=clock)
        self.addWidget(self.sources)
        self.message_label = QLabel()
        self.message_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.addWidget(self.message_label, 1)
        self.suppressed_button = QToolButton()
        self.suppressed_button.setAutoRaise(True)
        self.suppressed_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.addPermanentWidget(self.suppressed_button)
        self.set_suppressed(None)
        self.last_poll_label = QLabel("no poll yet")
        self.last_poll_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.addPermanentWidget(self.last_poll_label)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.clear_message)

    def set_source_health(self, health: Sequence[SourceHealth]) -> None:
        self.sources.set_source_health(health)

    def set_suppressed(self, count: int | None, error: str = "") -> None:
        """'3 suppressed' (None: not known yet, or the query failed with `error`)."""
        button = self.suppressed_button
        button.setText(count_text(count))
        if error:
            tip = f"could not list the suppressed alerts: {error}"
        else:
            tip = (
                "firing alerts held out of every incident (silences, inhibitions,"
                " maintenance windows); click to list them with their reasons"
            )
        button.setToolTip(tip)
        # nothing held back is worth knowing too, but it need not catch the eye; a palette
        # and a font, not a style sheet, which would drop the font the bar was given
        palette = QPalette()
        if not count:
            palette.setColor(QPalette.ColorRole.ButtonText, theme.theme_for(self.palette()).muted)
        button.setPalette(palette)
        font = button.font()
        font.setBold(bool(count))
        button.setFont(font)

    def set_last_poll(self, at: datetime) -> None:
        self.last_poll_label.setText(f"last poll {hms(at)}")

    def show_info(self, message: str) -> None:
        """A passing message (an action's outcome); it clears itself."""
        self.message_label.setStyleSheet("")
        self.message_label.setText(message)
        self.message_label.setToolTip(message)
        self._message_timer.start(MESSAGE_MS)

    def show_error(self, message: str) -> None:
        """An error in words; it stays until the next message (nothing modal)."""
        self._message_timer.stop()
        colour = theme.error_colour(self.palette()).name()
        self.message_label.setStyleSheet(f"color: {colour};")
        self.message_label.setText(f"\u26a0 {message}")
        self.message_label.setToolTip(message)

    def clear_message(self) -> None:
        self.message_label.clear()
        self.message_label.setToolTip("")
