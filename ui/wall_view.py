"""The wall's table view: delegates, column layout, and the 1-second SLA repaint of visible cells."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from app.domain.incident import Incident
from ui.delegates import SeverityDelegate, SlaDelegate, TitleDelegate
from ui.wall_model import Column, IncidentIdRole, IncidentRole, IncidentTableModel

Clock = Callable[[], datetime]

SLA_TICK_MS = 1000

# Starting widths in characters of the view's font; Title takes what is left.
_WIDTHS = {
    Column.KEY: 10,
    Column.CUSTOMER: 8,
    Column.SERVICES: 14,
    Column.STATE: 9,
    Column.TIER: 3,
    Column.TEAM: 10,
    Column.OWNER: 8,
    Column.ALERTS: 4,
    Column.TICKET: 8,
}
# Columns fitted to their content on load (at most this many characters wide).
_FITTED = {
    Column.CUSTOMER: 14,
    Column.SERVICES: 24,
    Column.TEAM: 14,
    Column.OWNER: 14,
    Column.TICKET: 14,
}
_FIT_SAMPLE = 500  # distinct texts measured per column: enough for a wall
# Always shown: without them a row says nothing (the column menu cannot hide them).
ESSENTIAL_COLUMNS = frozenset({Column.SEVERITY, Column.KEY, Column.TITLE})
# Row padding over the font's height, in pixels at the operator's font size.
_PADDING = {"comfortable": 10, "compact": 2}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IncidentTableView(QTableView):
    """The incident table, with severity pills, triage badges, SLA countdowns and row selection.

    Once a second it repaints only the visible cells of the SLA column (`repaint_sla_cells`):
    no `dataChanged`, no whole-viewport update (PERF.md 1.3).

    Attributes:
        clock: returns the current UTC time (read by the SLA delegate at paint time).
            The delegate reads the clocks through the model's `sla_reader`.
        sla_timer: the 1-second timer driving `repaint_sla_cells`.
        severity_delegate, title_delegate, sla_delegate: the column painters.

    Signals:
        incident_selected(object): the selected row's Incident, or None when nothing is.
    """

    incident_selected = Signal(object)
    sort_changed = Signal()

    def __init__(
        self, model: IncidentTableModel, parent: QWidget | None = None, *, clock: Clock = _utc_now
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.density = "comfortable"
        # incident id -> (SLA text, look) of the visible cells as last scheduled for paint
        self._sla_painted: dict[int, tuple[str, str]] = {}
        self.setModel(model)
        self.severity_delegate = SeverityDelegate(self)
        self.sla_delegate = SlaDelegate(self, clock=clock, reader=model.sla_reader)
        self.title_delegate = TitleDelegate(self)
        self.setItemDelegateForColumn(Column.SEVERITY, self.severity_delegate)
        self.setItemDelegateForColumn(Column.TITLE, self.title_delegate)
        self.setItemDelegateForColumn(Column.SLA, self.sla_delegate)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSortingEnabled(False)  # the model keeps urgency order itself
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setTabKeyNavigation(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(False)  # shown only when a column sort replaces urgency
        header.sectionClicked.connect(self.cycle_sort)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self.apply_font_metrics()
        self.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        model.modelReset.connect(self._on_model_reset)
        self.sla_timer = QTimer(self)
        self.sla_timer.setInterval(SLA_TICK_MS)
        self.sla_timer.timeout.connect(self.repaint_sla_cells)
        self.sla_timer.start()

    def model(self) -> IncidentTableModel:
        found = super().model()
        assert isinstance(found, IncidentTableModel)
        return found

    def apply_font_metrics(self) -> None:
        """Size rows and columns for the current font (called again when wall mode enlarges it)."""
        metrics = self.fontMetrics()
        char = metrics.horizontalAdvance("0")
        self._size_rows()
        for column, chars in _WIDTHS.items():
            self.setColumnWidth(column, char * chars + 16)
        self.horizontalHeader().setMinimumSectionSize(char * 3)
        option = self._item_option()
        for column, delegate in (
            (Column.SEVERITY, self.severity_delegate),
            (Column.SLA, self.sla_delegate),
        ):
            self.setColumnWidth(column, delegate.sizeHint(option, QModelIndex()).width())
        # never narrower than the header's own text (the wall's header font is bold)
        header = self.horizontalHeader()
        header_metrics = header.fontMetrics()
        for column in Column:
            title = str(self.model().headerData(column, Qt.Orientation.Horizontal))
            needed = header_metrics.horizontalAdvance(title) + 2 * char
            if column != Column.TITLE and self.columnWidth(column) < needed:
                self.setColumnWidth(column, needed)

    def set_density(self, density: str) -> None:
        """ "comfortable" (the default) or "compact" rows: more incidents on one screen."""
        if density not in _PADDING:
            raise ValueError(f"unknown density {density!r} (expected comfortable or compact)")
        if density == self.density:
            return
        self.density = density
        self._size_rows()

    def _size_rows(self) -> None:
        # the padding grows with the font, so a 4K wall's rows keep their proportions
        height = self.fontMetrics().height()
        padding = _PADDING[self.density] * max(1.0, height / 16)
        self.verticalHeader().setDefaultSectionSize(height + round(padding))

    # ------------------------------------------------------------------ sort and columns

    def cycle_sort(self, column: int) -> None:
        """A header click: ascending, then descending, then back to urgency order."""
        model = self.model()
        chosen = Column(column)
        if model.sort_column is not chosen:
            model.set_sort(chosen)
        elif not model.sort_descending:
            model.set_sort(chosen, descending=True)
        else:
            model.set_sort(None)
        self.show_sort()
        self.sort_changed.emit()

    def show_sort(self) -> None:
        """The header's arrow follows the model's sort (none for urgency order)."""
        model, header = self.model(), self.horizontalHeader()
        if model.sort_column is None:
            header.setSortIndicatorShown(False)
            return
        order = (
            Qt.SortOrder.DescendingOrder if model.sort_descending else Qt.SortOrder.AscendingOrder
        )
        header.setSortIndicator(model.sort_column, order)
        header.setSortIndicatorShown(True)
        selected = self.currentIndex()
        if selected.isValid():
            self.scrollTo(selected)

    def _column_menu(self, position: QPoint) -> None:
        self.column_menu().popup(self.horizontalHeader().mapToGlobal(position))

    def column_menu(self) -> QMenu:
        """Which columns show (right click on the header); the essential ones always do."""
        menu = QMenu(self)
        for column in Column:
            title = str(self.model().headerData(column, Qt.Orientation.Horizontal))
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not self.isColumnHidden(column))
            action.setEnabled(column not in ESSENTIAL_COLUMNS)
            action.toggled.connect(lambda on, column=column: self.setColumnHidden(column, not on))
        menu.addSeparator()
        urgency = menu.addAction("Sort by urgency")
        urgency.setEnabled(self.model().sort_column is not None)
        urgency.triggered.connect(self._sort_by_urgency)
        return menu

    def _sort_by_urgency(self) -> None:
        self.model().set_sort(None)
        self.show_sort()
        self.sort_changed.emit()

    def fit_columns(self) -> None:
        """Size the text columns to the loaded rows (capped), so Title gets the rest."""
        model = self.model()
        metrics = self.fontMetrics()
        char = metrics.horizontalAdvance("0")
        header_metrics = self.horizontalHeader().fontMetrics()
        for column, cap in _FITTED.items():
            title = str(model.headerData(column, Qt.Orientation.Horizontal))
            # the distinct texts, not every row's: 500 index().data() calls took 43 ms of a
            # storm's first poll, the few dozen customers and teams a couple
            texts = model.values(column)[:_FIT_SAMPLE]
            widest = max(
                [header_metrics.horizontalAdvance(title) + 2 * char - 16]
                + [metrics.horizontalAdvance(text) for text in texts]
            )
            self.setColumnWidth(column, min(widest, char * cap) + 16)

    def _item_option(self) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        return option

    # ------------------------------------------------------------------ SLA tick

    def visible_sla_rect(self) -> QRect:
        """The viewport rectangle of the SLA column's visible cells (empty when none)."""
        model = self.model()
        if model.rowCount() == 0 or self.isColumnHidden(Column.SLA):
            return QRect()
        viewport = self.viewport()
        top = self.rowAt(0)
        if top < 0:
            return QRect()
        bottom = self.rowAt(viewport.height() - 1)
        if bottom < 0:
            bottom = model.rowCount() - 1
        x = self.columnViewportPosition(Column.SLA)
        width = self.columnWidth(Column.SLA)
        if x + width <= 0 or x >= viewport.width():
            return QRect()
        y = self.rowViewportPosition(top)
        height = self.rowViewportPosition(bottom) + self.rowHeight(bottom) - y
        return QRect(x, y, width, height)

    def repaint_sla_cells(self) -> None:
        """Schedule a repaint of the visible SLA cells whose text or look changed since
        they were last painted; the delegate reads the clock.

        A countdown in h:mm:ss changes every second, but a day-scale one ("1d 10h"), a
        paused clock, "no SLA" and "BREACHED 2d" do not: reading the visible readings costs
        about 1 ms, painting a cell about 0.25 ms (benchmarks/test_wall_bench.py).
        """
        rect = self.visible_sla_rect()
        if rect.isEmpty():
            self._sla_painted = {}
            return
        top, bottom = self.rowAt(rect.top()), self.rowAt(rect.bottom())
        if bottom < 0:
            bottom = self.model().rowCount() - 1
        delegate, model = self.sla_delegate, self.model()
        shown: dict[int, tuple[str, str]] = {}
        first = last = -1
        for row in range(top, bottom + 1):
            index = model.index(row, Column.SLA)
            reading = delegate.reading(index)
            incident_id = index.data(IncidentIdRole)
            if reading is None or not isinstance(incident_id, int):
                continue
            seen = (reading.text, reading.look.value)
            shown[incident_id] = seen
            if self._sla_painted.get(incident_id) != seen:
                first = row if first < 0 else first
                last = row
        self._sla_painted = shown
        if first < 0:
            return
        y = self.rowViewportPosition(first)
        height = self.rowViewportPosition(last) + self.rowHeight(last) - y
        self.viewport().update(QRect(rect.x(), y, rect.width(), height))

    # ------------------------------------------------------------------ selection

    def selected_incident(self) -> Incident | None:
        index = self.currentIndex()
        if not index.isValid() or not self.selectionModel().isRowSelected(
            index.row(), QModelIndex()
        ):
            return None
        incident = index.data(IncidentRole)
        return incident if isinstance(incident, Incident) else None

    def select_incident(self, incident_id: int) -> bool:
        index = self.model().index_of(incident_id)
        if not index.isValid():
            return False
        self.select_row(index.row())
        return True

    def select_row(self, row: int) -> None:
        model = self.model()
        if model.rowCount() == 0:
            return
        row = max(0, min(row, model.rowCount() - 1))
        index = model.index(row, Column.KEY)
        self.setCurrentIndex(index)  # selects the row (SelectRows behaviour)
        self.scrollTo(index)

    def clear_selected(self) -> None:
        """Esc: nothing selected (the side panel empties; J/K start from the top again)."""
        self.selectionModel().clearCurrentIndex()
        self.clearSelection()
        self.incident_selected.emit(None)

    def move_selection(self, step: int) -> None:
        """J/K: the next or previous row; the first row when nothing is selected."""
        current = self.currentIndex()
        self.select_row(current.row() + step if current.isValid() else 0)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        incident = current.data(IncidentRole) if current.isValid() else None
        self.incident_selected.emit(incident if isinstance(incident, Incident) else None)

    def _on_model_reset(self) -> None:
        self.incident_selected.emit(None)
