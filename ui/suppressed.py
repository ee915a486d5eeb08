"""Suppressed alerts: firing but in no incident (silenced, inhibited, in maintenance), kept in view.

Suppression never drops an alert: the wall counts them and the operator can list them with
who or what holds each one back, and until when.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.console import Console
from app.domain.alert import Alert
from ui.local_time import day_and_time
from ui.workers.actions import TaskRunner

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

COLUMNS = ("Customer", "Service", "Alert", "Summary", "Suppressed because", "Since")
REASONS = COLUMNS.index("Suppressed because")
# starting widths in characters; the reasons stretch
_WIDTHS = {0: 10, 1: 14, 2: 18, 3: 30, 5: 9}
AnyIndex = QModelIndex | QPersistentModelIndex
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _utc_now() -> datetime:
    return datetime.now(UTC)


def suppressed_row(alert: Alert, now: datetime) -> tuple[str, str, str, str, str, str]:
    """One alert as the dialog lists it; every reason on a line of its own."""
    reasons = "\n".join(alert.suppressed_by) or "suppressed (no reason given)"
    return (
        alert.customer or "\u2014",
        alert.service or alert.labels.get("instance", "") or "\u2014",
        alert.alertname,
        alert.summary,
        reasons,
        day_and_time(alert.starts_at, now),
    )


def count_text(count: int | None) -> str:
    """'3 suppressed', or 'suppressed ?' while it is not known."""
    return "suppressed ?" if count is None else f"{count} suppressed"


class SuppressedAlerts(QObject):
    """Keeps the list of suppressed alerts fresh, off the GUI thread.

    One `console.suppressed_alerts()` call runs at a time on the runner's pool; a refresh
    asked for while one runs is remembered and run once after it, so a burst of change
    sets (one per source) costs at most two queries.

    Thread: lives in the GUI thread; the console call runs on the runner's pool.

    Attributes:
        console: the facade asked.
        runner: the TaskRunner the query goes to.
        alerts: the latest list (empty before the first answer).
        known: whether any answer came yet.
        error: why the last query failed ("" when it did not).

    Signals:
        suppressed_changed(object): the first list of Alerts, then each one that differs.
        refresh_failed(str): the query failed; the error in words.
    """

    suppressed_changed = Signal(object)
    refresh_failed = Signal(str)

    def __init__(self, console: Console, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.runner = runner
        self.alerts: list[Alert] = []
        self.known = False
        self.error = ""
        self._running = False
        self._again = False

    def refresh(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        self._again = False
        self.runner.submit(
            "suppressed alerts",
            self.console.suppressed_alerts,
            on_result=self._arrived,
            on_error=self._failed,
        )

    def _arrived(self, alerts: object) -> None:
        self._running = False
        # most polls change nothing here: the dialog is not refilled for the same list
        if isinstance(alerts, list) and (not self.known or self.error or alerts != self.alerts):
            self.alerts = alerts
            self.known = True
            self.error = ""
            self.suppressed_changed.emit(alerts)
        if self._again:
            self.refresh()

    def _failed(self, error: BaseException) -> None:
        self._running = False
        self.error = str(error) or type(error).__name__
        self.refresh_failed.emit(self.error)
        if self._again:
            self.refresh()


class SuppressedAlertsModel(QAbstractTableModel):
    """The suppressed alerts as a table: texts computed once per refresh, one line per row.

    A model, not table items: a maintenance window over a storm holds thousands of alerts,
    and only the visible cells should cost anything (PERF.md 1.3). Several reasons share
    one line ("; "); the tooltip puts each on a line of its own.

    Attributes:
        clock: returns the current UTC time (for the Since column).

    Signals:
        (QAbstractTableModel's own)
    """

    def __init__(self, parent: QObject | None = None, *, clock: Clock = _utc_now) -> None:
        super().__init__(parent)
        self.clock = clock
        self._rows: list[tuple[str, ...]] = []
        self._tips: list[str] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == _DISPLAY:
                return COLUMNS[section]
            if role == _ALIGNMENT:
                return _LEFT
        return None

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role == _DISPLAY:
            return self._rows[index.row()][index.column()]
        if role == _TOOLTIP:
            if index.column() == REASONS:
                return self._tips[index.row()]
            return self._rows[index.row()][index.column()] or None
        return None

    def set_alerts(self, alerts: Sequence[Alert]) -> None:
        now = self.clock()
        self.beginResetModel()
        rows = [suppressed_row(alert, now) for alert in alerts]
        self._tips = [row[REASONS] for row in rows]
        self._rows = [
            (*row[:REASONS], row[REASONS].replace("\n", "; "), *row[REASONS + 1 :]) for row in rows
        ]
        self.endResetModel()


class SuppressedAlertsDialog(QDialog):
    """Operator mode: every suppressed alert, with why and until when it is held back.

    Not modal: it stays open beside the wall and follows each refresh.

    Attributes:
        model: the SuppressedAlertsModel shown.
        table: its view, one row per alert.
        summary_label: "3 firing alerts are held out of every incident".
        refresh_button: asks for a fresh list now.

    Signals:
        refresh_requested(): the operator asked for a fresh list.
    """

    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = _utc_now) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setWindowTitle("Suppressed alerts")
        layout = QVBoxLayout(self)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.model = SuppressedAlertsModel(self, clock=clock)
        table = QTableView()
        table.setModel(self.model)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # no current-cell frame on opening
        vertical = table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        # the reasons take what is left: they are what the dialog is for
        header.setSectionResizeMode(REASONS, QHeaderView.ResizeMode.Stretch)
        char = table.fontMetrics().horizontalAdvance("0")
        for column, chars in _WIDTHS.items():
            table.setColumnWidth(column, char * chars + 16)
        self.table = table
        layout.addWidget(table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.refresh_button = QPushButton("Refresh")
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.refresh_requested)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(1200, 420)
        self.set_alerts([])

    def set_alerts(self, alerts: Sequence[Alert]) -> None:
        count = len(alerts)
        self.summary_label.setText(
            f"{count} firing alert{'s are' if count != 1 else ' is'} held out of every incident"
            " (silences, inhibitions, maintenance windows). They are kept, not dropped: each"
            " comes back into triage as soon as what holds it back ends."
            if count
            else "No firing alert is suppressed: every one is in an incident."
        )
        self.model.set_alerts(alerts)

    def rows(self) -> list[tuple[str, ...]]:
        """What the dialog lists, one tuple of COLUMNS texts per alert (reasons as shown)."""
        model = self.model
        return [
            tuple(str(model.index(row, column).data()) for column in range(len(COLUMNS)))
            for row in range(model.rowCount())
        ]
