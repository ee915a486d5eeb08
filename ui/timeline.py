"""The side panel's timeline: one row per event, the event in words, notes wrapped to the width."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem, QWidget

from app.domain.incident import EventKind, Incident, TimelineEvent
from ui.local_time import day_and_time

COLUMNS = ("Time", "Event", "Actor", "Note")
FLAPPING_MARK = "\u27f2"  # ⟲, as on the wall's badge


def event_words(event: TimelineEvent) -> str:
    """What happened, in a few words ("escalated L1 → L2", "correlated: root acme-db")."""
    kind, data = event.kind, event.data
    words = kind.value.replace("_", " ")
    if kind in (EventKind.ESCALATED, EventKind.SEVERITY_CHANGED) and data.get("to"):
        return f"{words} {data.get('from', '')} \u2192 {data['to']}"
    if kind is EventKind.ALERTS_ATTACHED and data.get("count"):
        return f"{words} (+{data['count']})"
    if kind is EventKind.TICKETED and data.get("ticket"):
        return f"{words} {data['ticket']}"
    if kind is EventKind.ASSIGNED and data.get("to"):
        return f"{words} to {data['to']}"
    if kind is EventKind.CORRELATED and data.get("to"):
        before = data.get("from", "")
        if before and before != data["to"]:
            return f"correlated: root {before} \u2192 {data['to']}"
        return f"correlated: root {data['to']}"
    if kind is EventKind.FLAPPING:
        stopped = data.get("flapping") == "no"
        return "flapping stopped" if stopped else f"{FLAPPING_MARK} flapping"
    if kind is EventKind.KNOWN_ISSUE and data.get("known_issue"):
        return f"known issue {data['known_issue']}"
    return words


class TimelineTable(QTableWidget):
    """The timeline list; rows grow to fit wrapped notes whenever the width changes.

    A table, not a tree: only QTableView sizes wrapped rows to their column widths, and
    notes (reasons, root causes, correlation notes) must wrap, not be cut.

    Attributes:
        (none beyond QTableWidget's)

    Signals:
        (none beyond QTableWidget's)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(True)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.sectionResized.connect(self.fit_rows)

    def fill(self, incident: Incident, now: datetime) -> None:
        self.setRowCount(len(incident.timeline))
        for row, event in enumerate(incident.timeline):
            texts = (day_and_time(event.at, now), event_words(event), event.actor, event.note)
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                if column == len(texts) - 1:
                    item.setToolTip(text)
                self.setItem(row, column, item)
        for column in range(len(COLUMNS) - 1):
            self.resizeColumnToContents(column)
        self.resizeRowsToContents()
        self.scrollToBottom()

    def rows(self) -> list[tuple[str, str, str, str]]:
        """What the timeline shows: (time, event, actor, note) per row, oldest first."""

        def text(row: int, column: int) -> str:
            item = self.item(row, column)
            return item.text() if item is not None else ""

        return [
            (text(row, 0), text(row, 1), text(row, 2), text(row, 3))
            for row in range(self.rowCount())
        ]

    def fit_rows(self, *_args: object) -> None:
        self.resizeRowsToContents()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.resizeRowsToContents()
