"""The main window's views: the filter bar, saved views, row density, and the view state in QSettings.

A feature mixin of MainWindow (why mixins, not controllers: `ui/window_feature.py`).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QSplitter

from app.console import Console
from app.domain.incident_filter import IncidentFilter
from ui.filter_bar import COMFORTABLE, COMPACT, FilterBar
from ui.incident_actions import Prompt
from ui.saved_views import SavedViews, View
from ui.status_bar import ConsoleStatusBar
from ui.wall_model import Column, IncidentTableModel
from ui.wall_view import IncidentTableView
from ui.window_feature import WindowFeature


class ViewsMixin(WindowFeature):
    """What the wall shows and how: operator mode's filter bar (search, filter menus, saved
    views, density) over the model's Python-side filter and sort; and the window's view
    state (geometry, splitter, columns, density, the view in use), kept in QSettings under
    the mode's prefix (view state only: STYLE.md 14).

    Attributes:
        filter_bar: operator mode's filter bar (None on the wall).
        views: the saved views.
    """

    # read of the window
    console: Console
    wall_mode: bool
    model: IncidentTableModel
    table: IncidentTableView
    status: ConsoleStatusBar
    _prompt: Prompt
    _settings: QSettings
    _splitter: QSplitter | None
    _columns_restored: bool

    # held
    filter_bar: FilterBar | None
    views: SavedViews

    def _build_filter_bar(self) -> FilterBar:
        bar = FilterBar(
            customers=lambda: self.model.values(Column.CUSTOMER),
            teams=lambda: self.model.values(Column.TEAM),
            ask_name=self._prompt,
        )
        self.filter_bar = bar
        bar.filter_changed.connect(self._on_filter_edited)
        bar.view_chosen.connect(self.choose_view)
        bar.save_requested.connect(self.save_view)
        bar.delete_requested.connect(self.delete_view)
        bar.density_changed.connect(self.set_density)
        bar.leave.connect(self._leave_search)
        self.table.sort_changed.connect(self._on_sort_edited)
        return bar

    def focus_search(self) -> None:
        """/: type to filter the wall (Esc or Enter goes back to the table)."""
        if self.filter_bar is not None:
            self.filter_bar.focus_search()

    def _leave_search(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if self.table.selected_incident() is None:
            self.table.select_row(0)

    # ------------------------------------------------------------------ filter, views, density

    def _current_view_state(self, name: str = "") -> View:
        return View(name, self.model.filter, self.model.sort_column, self.model.sort_descending)

    def _on_filter_edited(self, wanted: object) -> None:
        if not isinstance(wanted, IncidentFilter):
            return
        self.model.set_filter(wanted)
        self._mark_view_edited()
        self._update_counts()

    def _on_sort_edited(self) -> None:
        self._mark_view_edited()

    def _mark_view_edited(self) -> None:
        """The view's name stays while what is shown is still that view."""
        bar = self.filter_bar
        if bar is None or bar.current_view is None:
            return
        view = self.views.get(bar.current_view)
        shown = (self.model.filter, self.model.sort_column, self.model.sort_descending)
        if view is None or (view.filter, view.sort_column, view.descending) != shown:
            bar.set_current_view(None)

    def apply_view(self, view: View) -> None:
        """Show `view`'s filter and sort (the selection stays on its incident if shown)."""
        self.model.set_sort(view.sort_column, view.descending)
        self.table.show_sort()
        if self.filter_bar is not None:
            self.filter_bar.set_filter(view.filter)  # applies it through filter_changed
        else:
            self.model.set_filter(view.filter)
        self._update_counts()

    def choose_view(self, name: str) -> bool:
        view = self.views.get(name)
        if view is None:
            self.status.show_error(f"no view named {name!r}")
            return False
        self.apply_view(view)
        if self.filter_bar is not None:
            self.filter_bar.set_current_view(name)
        return True

    def save_view(self, name: str) -> bool:
        try:
            saved = self.views.save(self._current_view_state(name))
        except ValueError as error:
            self.status.show_error(f"view not saved: {error}")
            return False
        if self.filter_bar is not None:
            self.filter_bar.set_views(self.views.views(), saved.name)
        self.status.show_info(f"view \u201c{saved.name}\u201d saved")
        return True

    def delete_view(self, name: str) -> bool:
        if not self.views.delete(name):
            return False
        if self.filter_bar is not None:
            current = self.filter_bar.current_view
            self.filter_bar.set_views(self.views.views(), None if current == name else current)
        self.status.show_info(f"view \u201c{name}\u201d deleted")
        return True

    def set_density(self, density: str) -> None:
        """Comfortable or compact rows (kept with the window's state)."""
        self.table.set_density(density)
        bar = self.filter_bar
        if bar is not None and bar.density_action.isChecked() != (density == COMPACT):
            bar.density_action.setChecked(density == COMPACT)

    def _update_counts(self) -> None:
        if self.filter_bar is not None:
            self.filter_bar.set_counts(self.model.rowCount(), self.model.total())

    # ------------------------------------------------------------------ view state

    def _settings_prefix(self) -> str:
        return "wall" if self.wall_mode else "operator"

    def restore_view_state(self) -> None:
        """Geometry, splitter, columns, density and the view in use, from QSettings (view
        state only: STYLE.md 14)."""
        prefix = self._settings_prefix()
        geometry = self._settings.value(f"{prefix}/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if self._splitter is not None:
            state = self._settings.value(f"{prefix}/splitter")
            if isinstance(state, QByteArray) and not state.isEmpty():
                self._splitter.restoreState(state)
        columns = self._settings.value(f"{prefix}/columns")
        if isinstance(columns, QByteArray) and not columns.isEmpty():
            header = self.table.horizontalHeader()
            self._columns_restored = header.restoreState(columns)
            header.setSortIndicatorShown(False)  # the model's sort decides, below
            for column in Column:  # a hand-edited file cannot hide what a row needs
                if column in (Column.SEVERITY, Column.KEY, Column.TITLE):
                    self.table.setColumnHidden(column, False)
        density = self._settings.value(f"{prefix}/density")
        if density not in (COMFORTABLE, COMPACT):  # never switched here: the config's
            density = (
                COMFORTABLE
                if self.wall_mode
                else self.console.config.display.operator.density.value
            )
        self.set_density(str(density))
        if self.filter_bar is not None:
            name, last = self.views.last()
            self.filter_bar.set_views(self.views.views(), name)
            self.apply_view(last)
            self.filter_bar.set_current_view(name)

    def save_view_state(self) -> None:
        prefix = self._settings_prefix()
        self._settings.setValue(f"{prefix}/geometry", self.saveGeometry())
        if self._splitter is not None:
            self._settings.setValue(f"{prefix}/splitter", self._splitter.saveState())
        self._settings.setValue(f"{prefix}/columns", self.table.horizontalHeader().saveState())
        self._settings.setValue(f"{prefix}/density", self.table.density)
        if self.filter_bar is not None:
            self.views.remember(self.filter_bar.current_view, self._current_view_state())
        self._settings.sync()
