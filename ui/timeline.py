"""The side panel's timeline: one row per event, the event in words, notes wrapped to the width."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem, QWidget

from app.domain.incident import EventKind, Incident, TimelineEvent
from ui.local_time import day_and_time
from ui.sla_clock import DOT, PAUSE_MARK

COLUMNS = ("Time", "Event", "Actor", "Note")
FLAPPING_MARK = "\u27f2"  # ⟲, as on the wall's badge
RESUME_MARK = "\u25b6"  # ▶
UPDATE_MARK = "\u2709"  # ✉: the customer was told where things stand
# the SLA verdict an event carries: data key -> the clock's name in words
_VERDICTS = {"response": "response", "resolve": "resolution"}


def waited(seconds: int) -> str:
    """How long the clocks were paused: '45 s', '12 min', '2 h 05 min', '1 d 3 h'."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _verdict(event: TimelineEvent) -> str:
    """' · response SLA met' on an acknowledgement or resolution that stopped a clock."""
    for key, clock in _VERDICTS.items():
        verdict = event.data.get(key)
        if verdict in ("met", "breached"):
            return f"{DOT}{clock} SLA {verdict}"
    return ""


def event_words(event: TimelineEvent) -> str:
    """What happened, in a few words ("escalated L1 → L2", "correlated: root acme-db")."""
    kind, data = event.kind, event.data
    words = kind.value.replace("_", " ")
    if kind in (EventKind.ESCALATED, EventKind.SEVERITY_CHANGED) and data.get("to"):
        return f"{words} {data.get('from', '')} \u2192 {data['to']}"
    if kind is EventKind.DEESCALATED and data.get("to"):
        return f"de-escalated {data.get('from', '')} \u2192 {data['to']}"
    if kind is EventKind.CUSTOMER_UPDATE:  # what they were told is the note
        return f"{UPDATE_MARK} customer updated"
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
    if kind is EventKind.PAUSED:  # the reason is the event's note, in the Note column
        return f"{PAUSE_MARK} waiting on customer"
    if kind is EventKind.RESUMED:
        seconds = str(data.get("paused_for", ""))
        after = f" after {waited(int(seconds))}" if seconds.isdigit() else ""
        return f"{RESUME_MARK} clocks resumed{after}"
    if kind in (EventKind.ACKNOWLEDGED, EventKind.RESOLVED):
        return f"{words}{_verdict(event)}"
    if kind is EventKind.TICKET_WRITE_DROPPED:  # who in Actor, why in Note
        ticket = f" ({data['ticket']})" if data.get("ticket") else ""
        return f"ticket write dropped: {data.get('write') or data.get('op', '')}{ticket}"
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
