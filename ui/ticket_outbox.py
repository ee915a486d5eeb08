"""The ticket outbox dialog: the writes not yet delivered, and the operator's decisions.

A row that needs attention (the system refused it, or the ticket was resolved or closed
while the write waited) holds the incident's later writes until someone decides: Retry
sends it again (a write held in a state conflict is then sent anyway), Drop leaves it
unsent, with a reason that goes into the incident's timeline. Both go through the
window's ticket lane, on the thread pool: the dialog never waits for the system.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.console import utc_now
from app.console.ticket_conflicts import held_in_conflict, write_words
from app.domain.outbox import OutboxItem, OutboxStatus
from ui import theme
from ui.incident_actions import Prompt, dialog_prompt
from ui.tickets import (
    COLUMNS,
    Clock,
    Decision,
    TicketDelivery,
    attention_text,
    counts,
    incident_key,
    outbox_row,
    pending_text,
)

_INCIDENT_ROLE = int(Qt.ItemDataRole.UserRole)
_ITEM_ROLE = int(Qt.ItemDataRole.UserRole) + 1
_STATUS = COLUMNS.index("Status")


def decision_hint(item: OutboxItem) -> str:
    """What Retry and Drop would do with this row, under its full words."""
    if item.status is not OutboxStatus.ATTENTION:
        return "It is sent on its own (every 15 s, with backoff after a failure)."
    if held_in_conflict(item):
        return (
            "Retry sends it anyway, as long as the ticket stays as it is now; Drop leaves "
            "the ticket as it is. Either way the writes held behind it go out."
        )
    return (
        "Retry sends it again once the cause is fixed; Drop leaves it unsent. Either way "
        "the writes held behind it go out."
    )


class TicketOutboxDialog(QDialog):
    """The ticket writes not yet delivered, one row each (non-modal; kept and re-shown).

    Attributes:
        table: the rows (incident, system, op, status, attempts, next attempt, last error).
        summary: what the rows add up to.
        detail: the selected row's full words and what Retry and Drop would do with it.
        retry_button, drop_button: the decisions on a selected row that needs attention.
        feedback: what the last decision came to (or why it failed).
        lane: the window's ticket lane the decisions go through (None: list only).

    Signals:
        incident_chosen(int): a row was double-clicked: its incident id.
        decided(object): a retry or drop finished: its Decision.
    """

    incident_chosen = Signal(int)
    decided = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
        lane: TicketDelivery | None = None,
        prompt: Prompt | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.lane = lane
        self._prompt = prompt or dialog_prompt(self)  # asks until the reason is not blank
        self._items: dict[int, OutboxItem] = {}
        self._deciding = False
        self.setWindowTitle("Ticket outbox")
        self.setModal(False)
        self.resize(980, 380)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self._build_table(), 1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)  # the server's words are escaped
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail)
        row = QHBoxLayout()
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setToolTip("send the selected write that needs attention again")
        self.retry_button.clicked.connect(self.retry_selected)
        self.drop_button = QPushButton("&Drop\u2026")
        self.drop_button.setToolTip(
            "do not send the selected write (kept as dropped; the reason goes into the"
            " incident's timeline)"
        )
        self.drop_button.clicked.connect(self.drop_selected)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        for widget in (self.retry_button, self.drop_button):
            widget.setVisible(lane is not None)
            widget.setAutoDefault(False)  # Enter in the dialog must not decide anything
            row.addWidget(widget)
        row.addWidget(self.feedback, 1)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.set_items([])

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS), self)
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setWordWrap(False)  # one line a row; the full words below and on hover
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        table.cellDoubleClicked.connect(self._chosen)
        table.itemSelectionChanged.connect(self._selection_changed)
        self.table = table
        return table

    # ------------------------------------------------------------------ rows

    def set_items(self, items: Sequence[OutboxItem]) -> None:
        """The outbox after a pass; the selected row stays selected while it waits."""
        now = self.clock()
        keep = self.selected_item()
        pending, attention = counts(items)
        if not items:
            self.summary.setText("Every ticket write was delivered.")
        else:
            words = [pending_text(pending)] if pending else []
            if attention:
                words.append(attention_text(attention, alone=not pending))
            decide = (
                " A write that needs attention holds its incident's later writes until"
                " someone retries or drops it."
                if attention
                else ""
            )
            self.summary.setText(
                f"{', '.join(words)}.{decide} Pending writes are retried every 15 s with"
                " backoff. Double-click a row to select its incident."
            )
        self._items = {item.id: item for item in items if item.id is not None}
        table = self.table
        table.blockSignals(True)  # one selection change for the whole refill, below
        table.clearSelection()
        table.setRowCount(len(items))
        warning = theme.danger_colour(self.palette())
        for row, item in enumerate(items):
            for column, text in enumerate(outbox_row(item, now)):
                cell = QTableWidgetItem(text)
                cell.setData(_INCIDENT_ROLE, item.incident_id)
                cell.setData(_ITEM_ROLE, item.id)
                if column == len(COLUMNS) - 1:
                    cell.setToolTip(text)
                if item.status is OutboxStatus.ATTENTION and column == _STATUS:
                    cell.setForeground(warning)
                table.setItem(row, column, cell)
            if keep is not None and item.id == keep.id:
                table.selectRow(row)
        table.blockSignals(False)
        self._selection_changed()

    def selected_item(self) -> OutboxItem | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if len(rows) != 1:
            return None
        cell = self.table.item(rows.pop(), 0)
        item_id = cell.data(_ITEM_ROLE) if cell is not None else None
        return self._items.get(item_id) if isinstance(item_id, int) else None

    def select_item(self, item_id: int) -> bool:
        """Select the row of this outbox id (a notice's way in); False if it is not listed."""
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, 0)
            if cell is not None and cell.data(_ITEM_ROLE) == item_id:
                self.table.selectRow(row)
                return True
        return False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Opened to decide: the first write that needs attention is selected."""
        super().showEvent(event)
        if self.selected_item() is None:
            for row in range(self.table.rowCount()):
                if self._row_needs_attention(row):
                    self.table.selectRow(row)
                    break

    def _row_needs_attention(self, row: int) -> bool:
        cell = self.table.item(row, 0)
        item = self._items.get(cell.data(_ITEM_ROLE)) if cell is not None else None
        return item is not None and item.status is OutboxStatus.ATTENTION

    def _selection_changed(self) -> None:
        item = self.selected_item()
        if item is None:
            attention = [i for i in self._items.values() if i.status is OutboxStatus.ATTENTION]
            self.detail.setText(
                "Select a write that needs attention to decide it." if attention else ""
            )
        else:
            where = f"{incident_key(item.incident_id)} \u00b7 {item.system} \u00b7 "
            words = write_words(item.op, item.payload)
            error = f"<br>{escape(item.last_error)}" if item.last_error else ""
            self.detail.setText(
                f"<b>{escape(where + words)}</b>{error}<br><i>{escape(decision_hint(item))}</i>"
            )
        open_to_decide = (
            item is not None and item.status is OutboxStatus.ATTENTION and not self._deciding
        )
        self.retry_button.setEnabled(open_to_decide)
        self.drop_button.setEnabled(open_to_decide)

    def _chosen(self, row: int, _column: int) -> None:
        cell = self.table.item(row, 0)
        if cell is not None:
            self.incident_chosen.emit(int(cell.data(_INCIDENT_ROLE)))

    # ------------------------------------------------------------------ decisions

    def retry_selected(self) -> bool:
        """Retry the selected row (through the lane); False when there is nothing to retry."""
        item = self.selected_item()
        if self.lane is None or item is None or item.id is None:
            return False
        if item.status is not OutboxStatus.ATTENTION or self._deciding:
            return False
        self._start(f"sending ticket write {item.id} again\u2026")
        self.lane.retry(item.id, on_result=self._on_decided, on_error=self._on_failed)
        return True

    def drop_selected(self) -> bool:
        """Ask why, then drop the selected row (through the lane); False when cancelled or
        there is nothing to drop."""
        item = self.selected_item()
        if self.lane is None or item is None or item.id is None:
            return False
        if item.status is not OutboxStatus.ATTENTION or self._deciding:
            return False
        words = write_words(item.op, item.payload)
        reason = self._prompt(
            f"Drop ticket write {item.id}",
            f"Why drop the {words} for {incident_key(item.incident_id)} in {item.system}?"
            " (it goes into the incident's timeline)",
            True,
        )
        if reason is None or not reason.strip():
            return False
        self._start(f"dropping ticket write {item.id}\u2026")
        self.lane.drop(
            item.id, reason.strip(), on_result=self._on_decided, on_error=self._on_failed
        )
        return True

    def _start(self, words: str) -> None:
        self._deciding = True
        self._say(words)
        self._selection_changed()

    def _on_decided(self, decision: object) -> None:
        self._deciding = False
        if isinstance(decision, Decision):
            self._say(decision.words(), error=not decision.done)
            self.decided.emit(decision)
        self._selection_changed()

    def _on_failed(self, error: BaseException) -> None:
        self._deciding = False
        self._say(f"not done: {str(error) or type(error).__name__}", error=True)
        self._selection_changed()

    def _say(self, words: str, *, error: bool = False) -> None:
        self.feedback.setText(f"\u26a0 {words}" if error else words)
        colour = theme.danger_colour(self.palette()).name() if error else ""
        self.feedback.setStyleSheet(f"color: {colour};" if colour else "")
