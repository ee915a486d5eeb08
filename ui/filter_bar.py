"""Operator mode's filter bar: free-text search (/), filter menus, saved views, density.

The bar only says what the operator wants (`filter_changed`, `view_chosen`,
`density_changed`); the window applies it to the model, which filters and sorts in Python
(PERF.md 1.3). Menus of customers and teams are filled from the wall when they open, so
they offer what is on the wall now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.domain.incident import ACTIVE_STATES, EscalationTier, IncidentState
from app.domain.incident_filter import IncidentFilter
from app.domain.severity import Severity
from ui.saved_views import ALL, View

Choices = Callable[[], Sequence[str]]
AskName = Callable[[str, str, bool], str | None]

COMFORTABLE = "comfortable"
COMPACT = "compact"
_STATES = [state.value for state in IncidentState if state in ACTIVE_STATES] + [
    IncidentState.RESOLVED.value
]


class SearchField(QLineEdit):
    """The search box: Esc clears it, or hands the keyboard back to the table when empty;
    Enter and Down go back to the table too (the operator searched, now moves).

    Signals:
        leave(): the operator is done typing.
    """

    leave = Signal()

    def event(self, event: QEvent) -> bool:
        # Esc is also the window's "clear selection" shortcut: while typing, it is ours
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Escape:
            if self.text():
                self.clear()
            else:
                self.leave.emit()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
            self.leave.emit()
            return
        super().keyPressEvent(event)


class ChoiceButton(QToolButton):
    """A drop-down of checkable values ("Customer: acme +1"); none checked means any.

    Signals:
        changed(): the checked values changed.
    """

    changed = Signal()

    def __init__(
        self, label: str, choices: Choices, parent: QWidget | None = None, *, words: bool = False
    ) -> None:
        super().__init__(parent)
        self.label = label
        self._choices = choices
        self._words = words  # show "false_positive" as "false positive"
        self._selected: set[str] = set()
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = QMenu(self)
        menu.aboutToShow.connect(self._fill)
        self.setMenu(menu)
        self._update_text()

    def selected(self) -> frozenset[str]:
        return frozenset(self._selected)

    def set_selected(self, values: Iterable[str]) -> None:
        self._selected = set(values)
        self._update_text()

    def _fill(self) -> None:
        menu = self.menu()
        menu.clear()
        values = list(dict.fromkeys([*self._choices(), *sorted(self._selected)]))
        if not values:
            empty = menu.addAction("(none on the wall)")
            empty.setEnabled(False)
        for value in values:
            action = menu.addAction(value.replace("_", " ") if self._words else value)
            action.setCheckable(True)
            action.setChecked(value in self._selected)
            action.toggled.connect(lambda on, value=value: self._toggle(value, on))
        menu.addSeparator()
        clear = menu.addAction("Any")
        clear.setEnabled(bool(self._selected))
        clear.triggered.connect(self.clear)

    def clear(self) -> None:
        if self._selected:
            self._selected.clear()
            self._update_text()
            self.changed.emit()

    def _toggle(self, value: str, on: bool) -> None:
        if on:
            self._selected.add(value)
        else:
            self._selected.discard(value)
        self._update_text()
        self.changed.emit()

    def _update_text(self) -> None:
        chosen = sorted(self._selected)
        if not chosen:
            self.setText(self.label)
        else:
            first = chosen[0].replace("_", " ") if self._words else chosen[0]
            more = f" +{len(chosen) - 1}" if len(chosen) > 1 else ""
            self.setText(f"{self.label}: {first}{more}")
        self.setToolTip(
            f"{self.label}: " + (", ".join(chosen) if chosen else "any (click to choose)")
        )


class FilterBar(QWidget):
    """The bar above the operator's table.

    Attributes:
        search: the free-text box (/ focuses it).
        customers, severities, states, tiers, teams: the filter menus.
        views_button: the saved views menu, with density_action (compact rows on/off).
        count_label: "12 of 40 shown".

    Signals:
        filter_changed(object): the IncidentFilter the operator now wants.
        view_chosen(str): a view was picked from the menu (the window applies it).
        save_requested(str): save the current filter and sort under this name.
        delete_requested(str): delete the saved view of this name.
        density_changed(str): "comfortable" or "compact".
        leave(): the operator left the search box (focus the table).
    """

    filter_changed = Signal(object)
    view_chosen = Signal(str)
    save_requested = Signal(str)
    delete_requested = Signal(str)
    density_changed = Signal(str)
    leave = Signal()

    def __init__(
        self,
        *,
        customers: Choices,
        teams: Choices,
        ask_name: AskName,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ask_name = ask_name
        self._views: list[View] = []
        self._current_view: str | None = ALL
        self._quiet = False  # while a view is being applied: one filter_changed, not six
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        self.views_button = QToolButton()
        self.views_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        views_menu = QMenu(self.views_button)
        views_menu.aboutToShow.connect(self._fill_views)
        self.views_button.setMenu(views_menu)
        layout.addWidget(self.views_button)
        self.search = SearchField()
        self.search.setPlaceholderText("Search incidents  ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance("0") * 12)
        self.search.textChanged.connect(self._on_edited)
        self.search.leave.connect(self.leave)
        layout.addWidget(self.search, 1)
        self.severities = ChoiceButton("Severity", lambda: [s.value for s in Severity])
        self.customers = ChoiceButton("Customer", customers)
        self.states = ChoiceButton("State", lambda: _STATES, words=True)
        self.tiers = ChoiceButton("Tier", lambda: [t.value for t in EscalationTier])
        self.teams = ChoiceButton("Team", teams)
        for button in self._choice_buttons():
            button.changed.connect(self._on_edited)
            layout.addWidget(button)
        self.clear_button = QToolButton()
        self.clear_button.setText("\u2715")  # ✕
        self.clear_button.setToolTip("Clear the filters: show every incident on the wall")
        self.clear_button.clicked.connect(self.clear)
        layout.addWidget(self.clear_button)
        self.count_label = QLabel()
        layout.addWidget(self.count_label)
        # in the views menu: a row of buttons has no room for a setting changed once
        self.density_action = QAction("Compact rows", self)
        self.density_action.setCheckable(True)
        self.density_action.setToolTip("Compact rows: more incidents on the screen")
        self.density_action.toggled.connect(
            lambda on: self.density_changed.emit(COMPACT if on else COMFORTABLE)
        )
        self._update_views_text()
        self.clear_button.setEnabled(False)
        # a narrow window clips the bar's right end instead of refusing to shrink: the
        # table and the side panel matter more than the last filter buttons
        self.setMinimumWidth(self.search.minimumWidth() * 2)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def _choice_buttons(self) -> tuple[ChoiceButton, ...]:
        return (self.severities, self.customers, self.states, self.tiers, self.teams)

    # ------------------------------------------------------------------ the filter

    def current_filter(self) -> IncidentFilter:
        return IncidentFilter(
            customers=self.customers.selected(),
            severities=frozenset(Severity(v) for v in self.severities.selected()),
            states=frozenset(IncidentState(v) for v in self.states.selected()),
            tiers=frozenset(EscalationTier(v) for v in self.tiers.selected()),
            teams=self.teams.selected(),
            text=self.search.text(),
        )

    def set_filter(self, wanted: IncidentFilter) -> None:
        """Show `wanted` in the controls (a view or the last session's), one signal."""
        self._quiet = True
        try:
            self.customers.set_selected(wanted.customers)
            self.severities.set_selected(s.value for s in wanted.severities)
            self.states.set_selected(s.value for s in wanted.states)
            self.tiers.set_selected(t.value for t in wanted.tiers)
            self.teams.set_selected(wanted.teams)
            if self.search.text() != wanted.text:
                self.search.setText(wanted.text)
        finally:
            self._quiet = False
        self._on_edited()

    def clear(self) -> None:
        self.set_filter(IncidentFilter())

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def set_counts(self, shown: int, total: int) -> None:
        wanted = self.current_filter()
        if wanted.is_empty():
            self.count_label.setText(f"{total} on the wall")
            self.count_label.setToolTip("")
        else:
            self.count_label.setText(f"{shown} of {total} shown")
            self.count_label.setToolTip(f"filtered: {wanted.describe()}")

    def _on_edited(self, *_args: object) -> None:
        if self._quiet:
            return
        wanted = self.current_filter()
        self.clear_button.setEnabled(not wanted.is_empty())
        self.filter_changed.emit(wanted)

    # ------------------------------------------------------------------ views

    def set_views(self, views: Sequence[View], current: str | None) -> None:
        """The views the menu offers, and the one in use (None: edited since chosen)."""
        self._views = list(views)
        self._current_view = current
        self._update_views_text()

    def set_current_view(self, name: str | None) -> None:
        self._current_view = name
        self._update_views_text()

    @property
    def current_view(self) -> str | None:
        return self._current_view

    def _update_views_text(self) -> None:
        name = self._current_view
        self.views_button.setText(f"View: {name}" if name else "View: (edited)")
        self.views_button.setToolTip("Saved views: a filter and a sort under a name")

    def _fill_views(self) -> None:
        menu = self.views_button.menu()
        menu.clear()
        for view in self._views:
            action = menu.addAction(view.name)
            action.setCheckable(True)
            action.setChecked(view.name == self._current_view)
            action.triggered.connect(lambda _on=False, name=view.name: self.view_chosen.emit(name))
            if view.builtin and view is self._last_builtin():
                menu.addSeparator()
        menu.addSeparator()
        save = menu.addAction("Save view as\u2026")
        save.triggered.connect(self._ask_and_save)
        current = next((v for v in self._views if v.name == self._current_view), None)
        delete: QAction = menu.addAction(
            f"Delete view \u201c{current.name}\u201d"
            if current and not current.builtin
            else "Delete view"
        )
        delete.setEnabled(current is not None and not current.builtin)
        if current is not None:
            delete.triggered.connect(lambda _on=False: self.delete_requested.emit(current.name))
        menu.addSeparator()
        menu.addAction(self.density_action)

    def _last_builtin(self) -> View | None:
        builtins = [view for view in self._views if view.builtin]
        return builtins[-1] if builtins else None

    def _ask_and_save(self) -> None:
        name = self._ask_name("Save view", "Name of the view (filter and sort):", True)
        if name is not None and name.strip():
            self.save_requested.emit(name.strip())
