"""Notices for the operator: toasts in the window, a desktop message, and the recent history.

The engine hands over `Notification` values (escalations by tier timer with each change
set, SLA crossings from the window's 1 s tick); the `Notifier` coalesces them, shows a
stack of self-dismissing toasts at the top right of the window and, outside wall mode, a
desktop message through the system tray. Nothing here takes the keyboard focus: the
toasts are child widgets that never accept focus, and a desktop message is the desktop's.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QIcon, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.incident import EscalationTier
from app.domain.notifications import Notification, NotificationKind
from app.domain.severity import Severity
from ui import theme
from ui.dialogs import present
from ui.local_time import hms

Clock = Callable[[], datetime]

MAX_TOASTS = 4  # more would cover the wall they are about
STORM = 4  # more notices than this at once become one summary toast
HISTORY = 50
TOAST_MS = 10_000
WALL_TOAST_MS = 20_000  # the room may not be looking at the wall this very second
# the same incident, kind and words again within this span is the same crossing told twice
COALESCE = timedelta(minutes=10)

# "12 incidents at risk": what a storm of one kind says
_STORM_WORDS = {
    NotificationKind.OPENED: "opened",
    NotificationKind.ESCALATED: "escalated",
    NotificationKind.AT_RISK: "at risk",
    NotificationKind.BREACHED: "breached their SLA",
    NotificationKind.UPDATE_DUE: "owe the customer an update",
    NotificationKind.AUTO_REMEDIATION: "auto-remediated",
    NotificationKind.TICKET_CONFLICT: "have a ticket write to decide",
}
_TRAY_ICONS = {
    Severity.P1: QSystemTrayIcon.MessageIcon.Critical,
    Severity.P2: QSystemTrayIcon.MessageIcon.Warning,
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Notice:
    """What one toast says.

    Attributes:
        text: the line shown.
        severity: the colour cue (None: a message about the console itself).
        incident_id: the incident a click selects (None: a summary or a console message).
        error: drawn in the error colour (a policies reload that failed).
        kind: the notification's kind (a ticket conflict's click also opens the outbox).
    """

    text: str
    severity: Severity | None = None
    incident_id: int | None = None
    error: bool = False
    kind: NotificationKind | None = None


def storm_text(notices: Sequence[Notification]) -> str:
    """'12 incidents at risk', or '12 incidents need attention: 8 at risk, 4 escalated'."""
    kinds = Counter(n.kind for n in notices)
    count = len({n.incident_id for n in notices})
    noun = "incident" if count == 1 else "incidents"
    if len(kinds) == 1:
        (kind,) = kinds
        return f"{count} {noun} {_STORM_WORDS[kind]}"
    parts = ", ".join(f"{n} {_STORM_WORDS[k]}" for k, n in kinds.most_common())
    return f"{count} {noun} need attention: {parts}"


def most_severe(notices: Iterable[Notification]) -> Severity | None:
    return min((n.severity for n in notices), key=lambda s: s.rank, default=None)


class Toast(QFrame):
    """One notice: a severity stripe and glyph, the words; a click acts on it.

    Attributes:
        notice: what it says.
        label: the words.

    Signals:
        clicked(object): the Notice, when the operator clicked the toast.
    """

    clicked = Signal(object)

    def __init__(
        self,
        notice: Notice,
        *,
        wall: bool,
        colours: theme.Theme,
        font: QFont,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.notice = notice
        self.setObjectName("toast")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        card = colours.toast
        # the mark: the severity's own pill (its fill and text), or the error colour
        mark_style = ""
        if notice.severity is not None:
            pill = colours.severity[notice.severity]
            stripe = pill.fill
            glyph = f"{theme.SEVERITY_GLYPHS[notice.severity]} {notice.severity.value}"
            mark_style = f"color: {pill.text.name()}; background: {pill.fill.name()};"
        elif notice.error:
            stripe, glyph = colours.error, "\u26a0"
            mark_style = f"color: {stripe.name()};"
        else:
            stripe, glyph = colours.muted, "\u2139"
        # sizes in ems of the notice's font: the wall's and a scaled font's toasts grow
        em = QFontMetricsF(font).height()
        side = round(em * (0.3 if wall else 0.43))
        corner = max(4, round(em * 0.12))  # a round corner under a thick stripe notches it
        self.setStyleSheet(
            f"#toast {{ background: {card.fill.name()}; border: 1px solid {stripe.name()};"
            f" border-left: {side}px solid {stripe.name()}; border-radius: {corner}px; }}"
            f" QLabel {{ color: {card.text.name()}; background: transparent; border: none; }}"
        )
        layout = QHBoxLayout(self)
        margin = round(em * (0.42 if wall else 0.57))
        layout.setContentsMargins(margin, margin // 2 + 2, margin, margin // 2 + 2)
        layout.setSpacing(margin)
        # fonts set on the labels themselves: a style sheet above them stops inheritance
        self.mark = QLabel(glyph)
        bold = QFont(font)
        bold.setBold(True)
        self.mark.setFont(bold)
        if mark_style:
            pad = round(em * 0.2)
            self.mark.setStyleSheet(f"{mark_style} border-radius: {corner}px; padding: 0 {pad}px;")
        layout.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignTop)
        self.label = QLabel(notice.text)
        self.label.setFont(font)
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        tip = "click to select it on the wall" if notice.incident_id else "click to dismiss"
        if notice.kind is NotificationKind.TICKET_CONFLICT:
            tip = "click to open the ticket outbox and decide: retry or drop"
        self.setToolTip(tip)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.notice)
            event.accept()
            return
        super().mousePressEvent(event)


class ToastStack(QWidget):
    """The toasts, newest on top, pinned to the top right of the window's central area.

    A child of the window (not a window of its own), so it can never take the focus or
    hide behind another application.

    Attributes:
        toasts: the visible toasts, newest first.
        wall: large type, longer on screen.

    Signals:
        toast_clicked(object): the Notice of a clicked toast.
    """

    toast_clicked = Signal(object)

    def __init__(self, window: QWidget, *, wall: bool, font_scale: float | None = None) -> None:
        super().__init__(window)
        self.wall = wall
        self.toasts: list[Toast] = []
        # the room the window keeps free at its bottom edge (its status bar)
        self.bottom_offset: Callable[[], int] = lambda: 0
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        if wall:
            self.setFont(theme.wall_font(1.4, font_scale=font_scale))  # read from across the room
        self._layout.setSpacing(
            round(QFontMetricsF(self.font()).height() * (0.24 if wall else 0.43))
        )
        window.installEventFilter(self)  # follow the window's size
        self.hide()

    def show_notice(self, notice: Notice) -> Toast:
        window = self.parentWidget()
        colours = theme.theme_for(window.palette()) if window is not None else theme.current()
        toast = Toast(notice, wall=self.wall, colours=colours, font=self.font(), parent=self)
        toast.clicked.connect(self._on_clicked)
        self.toasts.insert(0, toast)
        self._layout.insertWidget(0, toast)
        toast.show()  # a child added to a shown stack stays hidden (and out of the layout)
        while len(self.toasts) > MAX_TOASTS:
            self.dismiss(self.toasts[-1])
        timer = QTimer(toast)  # dies with the toast
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: self.dismiss(toast))
        timer.start(WALL_TOAST_MS if self.wall else TOAST_MS)
        self.place()
        return toast

    def dismiss(self, toast: Toast) -> None:
        if toast not in self.toasts:
            return
        self.toasts.remove(toast)
        self._layout.removeWidget(toast)
        toast.hide()
        toast.deleteLater()
        self.place()

    def texts(self) -> list[str]:
        """What the visible toasts say, newest first."""
        return [toast.notice.text for toast in self.toasts]

    def place(self) -> None:
        window = self.parentWidget()
        if not self.toasts or window is None:
            self.hide()
            return
        # about 30 ems: a line of a notice, in the toast's own (maybe scaled) font
        em = QFontMetricsF(self.font()).height()
        width = min(round(em * (23 if self.wall else 30)), max(200, window.width() // 2))
        # wrapped labels: the height follows the width (a plain sizeHint would ignore that)
        layout = self._layout
        height = (
            layout.heightForWidth(width)
            if layout.hasHeightForWidth()
            else layout.sizeHint().height()
        )
        self.setFixedSize(width, height)
        margin = round(em * (0.5 if self.wall else 0.7))
        # bottom right: the top rows are the most urgent ones, and the header's counts
        # and the side panel's actions must stay readable while a toast is up
        top = window.height() - self.bottom_offset() - height - margin
        self.move(QPoint(window.width() - width - margin, max(0, top)))
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.place()
        return False

    def _on_clicked(self, notice: object) -> None:
        toast = self.sender()
        if isinstance(toast, Toast):
            self.dismiss(toast)
        self.toast_clicked.emit(notice)


class NoticeHistory(QDialog):
    """The last notices, newest first; double-click one to select its incident.

    Attributes:
        list: one row per notice ("14:02:33 ◆ P1 INC-000001 escalated to L2 ...").

    Signals:
        incident_chosen(int): the incident id of a double-clicked notice.
    """

    incident_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recent notifications")
        self.setModal(False)
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.itemDoubleClicked.connect(self._on_double_clicked)
        layout.addWidget(self.list)

    def set_notices(self, notices: Iterable[Notification]) -> None:
        self.list.clear()
        for notice in notices:
            glyph = theme.SEVERITY_GLYPHS[notice.severity]
            words = f"{hms(notice.at)}  {glyph} {notice.severity.value}  {notice.text}"
            item = QListWidgetItem(words)
            item.setData(Qt.ItemDataRole.UserRole, notice.incident_id)
            item.setToolTip(notice.title)
            self.list.addItem(item)

    def _on_double_clicked(self, item: QListWidgetItem) -> None:
        incident_id = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(incident_id, int):
            self.incident_chosen.emit(incident_id)


def _tray_icon() -> QIcon:
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(theme.current().severity[Severity.P1].fill)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(2, 2, 28, 28)
    painter.end()
    return QIcon(pixmap)


# desktop(title, text, severity): a desktop notification; None where there is no tray
DesktopMessage = Callable[[str, str, Severity | None], None]


def tray_message(parent: QObject) -> DesktopMessage | None:
    """Desktop notifications through a tray icon, when the desktop has a tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(_tray_icon(), parent)
    tray.setToolTip("NOC Console")
    tray.show()

    def show(title: str, text: str, severity: Severity | None) -> None:
        icon = _TRAY_ICONS.get(severity, QSystemTrayIcon.MessageIcon.Information)  # type: ignore[arg-type]
        tray.showMessage(title, text, icon, TOAST_MS)

    return show


class Notifier(QObject):
    """Turns notifications into toasts, desktop messages and a history.

    Thread: lives in the GUI thread; it is fed by the window (change sets, the SLA tick).

    Attributes:
        stack: the toasts over the window.
        history: the last HISTORY notifications, newest first.
        history_button: "🔔 12" for the status bar; opens the history.
        history_dialog: the history list, once opened.
        desktop: how a desktop message is shown (None: no tray, or wall mode).
        tier: this desk's tier ([console] tier): which escalations reach the desktop.

    Signals:
        incident_clicked(int): the operator clicked a toast (or history row) of this incident.
        outbox_requested(): the operator clicked a ticket conflict's toast (to decide it).
    """

    incident_clicked = Signal(int)
    outbox_requested = Signal()

    def __init__(
        self,
        window: QWidget,
        *,
        wall: bool = False,
        desktop: DesktopMessage | None = None,
        clock: Clock = _utc_now,
        tier: EscalationTier | None = None,
        font_scale: float | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self.clock = clock
        self.tier = tier
        self.stack = ToastStack(window, wall=wall, font_scale=font_scale)
        self.stack.toast_clicked.connect(self._on_toast_clicked)
        self.history: deque[Notification] = deque(maxlen=HISTORY)
        self.history_dialog: NoticeHistory | None = None
        # the wall is watched by a room, not worked at a desk: no desktop pop-ups
        self.desktop = None if wall else (desktop or tray_message(self))
        self._seen: dict[tuple[int, NotificationKind, str], datetime] = {}
        self.history_button = QToolButton()
        self.history_button.setAutoRaise(True)
        self.history_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.history_button.clicked.connect(self.show_history)
        self._update_button()

    def notify(self, notifications: Sequence[Notification]) -> list[Notification]:
        """Show what is new among `notifications`; returns what was shown (after coalescing)."""
        fresh = self._coalesce(notifications)
        if not fresh:
            return []
        self.history.extendleft(fresh)
        self._update_button()
        desk = [notice for notice in fresh if self.for_the_desktop(notice)]
        if len(fresh) > STORM:
            text = storm_text(fresh)
            self.stack.show_notice(Notice(text, most_severe(fresh)))
            if desk:
                self._desktop("NOC Console", storm_text(desk), most_severe(desk))
        else:
            for notice in fresh:
                self.stack.show_notice(
                    Notice(notice.text, notice.severity, notice.incident_id, kind=notice.kind)
                )
            for notice in desk:
                title = f"{notice.key} ({notice.severity.value})"
                self._desktop(title, notice.text, notice.severity)
        if self.history_dialog is not None:
            self.history_dialog.set_notices(self.history)
        return fresh

    def for_the_desktop(self, notice: Notification) -> bool:
        """Desktop messages interrupt whatever the operator is doing: new P1/P2 incidents,
        breaches, escalations to this desk's tier (every tier when none is set), and ticket
        writes held for a decision. At-risk marks and customer-update reminders stay in the
        window."""
        if notice.kind is NotificationKind.ESCALATED:
            return self.tier is None or notice.tier == self.tier.value
        return notice.kind in (
            NotificationKind.OPENED,
            NotificationKind.BREACHED,
            NotificationKind.TICKET_CONFLICT,
        )

    def show_message(self, text: str, *, error: bool = False) -> Toast:
        """A toast about the console itself ("policies reloaded"); not in the history."""
        return self.stack.show_notice(Notice(text, error=error))

    def show_history(self) -> NoticeHistory:
        dialog = self.history_dialog
        if dialog is None:
            dialog = NoticeHistory(self._window)
            dialog.incident_chosen.connect(self.incident_clicked)
            self.history_dialog = dialog
        dialog.set_notices(self.history)
        present(dialog)
        return dialog

    def _coalesce(self, notifications: Sequence[Notification]) -> list[Notification]:
        """One per incident, kind and crossing: a repeat of the same words within COALESCE
        (a tick and a poll telling the same breach) is dropped."""
        now = self.clock()
        self._seen = {key: at for key, at in self._seen.items() if now - at < COALESCE}
        fresh = []
        for notice in notifications:
            key = (notice.incident_id, notice.kind, notice.text)
            if key in self._seen:
                continue
            self._seen[key] = now
            fresh.append(notice)
        return fresh

    def _desktop(self, title: str, text: str, severity: Severity | None) -> None:
        if self.desktop is not None:
            self.desktop(title, text, severity)

    def _update_button(self) -> None:
        count = len(self.history)
        self.history_button.setText(f"{count} notification{'s' if count != 1 else ''}")
        self.history_button.setToolTip(
            f"the last {count} notifications (escalations, SLA at risk or breached, customer"
            " updates due); click to list them"
        )

    def _on_toast_clicked(self, notice: object) -> None:
        if isinstance(notice, Notice) and notice.incident_id is not None:
            self.incident_clicked.emit(notice.incident_id)
            if notice.kind is NotificationKind.TICKET_CONFLICT:
                self.outbox_requested.emit()
        elif isinstance(notice, Notice) and notice.severity is not None:
            self.show_history()  # a storm's summary: the list says who
