"""Operator mode's filter bar: / search, filter menus, saved views, density, column sort,
T for tickets, and what the window remembers between sessions."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.console import Console
from app.domain.incident import IncidentState
from app.domain.incident_filter import IncidentFilter
from app.domain.severity import Severity
from tests.helpers.ui_operator import Prompts, settle
from ui.filter_bar import COMPACT, FilterBar
from ui.main_window import MainWindow
from ui.saved_views import ALL
from ui.wall_model import Column


@pytest.fixture
def window(qtbot, make_window, polled_console: Console, prompts: Prompts) -> MainWindow:
    window = make_window(polled_console, prompt=prompts)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts reach the active window only
    return window


def bar_of(window: MainWindow) -> FilterBar:
    assert window.filter_bar is not None
    return window.filter_bar


def customers(window: MainWindow) -> set[str | None]:
    return {i.customer for i in window.model.incidents()}


def test_slash_searches_and_esc_clears_then_returns_to_the_table(qtbot, window: MainWindow) -> None:
    bar = bar_of(window)
    total = window.model.rowCount()
    assert total >= 3
    assert bar.current_view == ALL
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Slash)
    assert bar.search.hasFocus()
    # letters go into the search box, not to the A/E/R/F shortcuts
    qtbot.keyClicks(bar.search, "acme")
    assert customers(window) == {"acme"}
    assert bar.count_label.text() == f"{window.model.rowCount()} of {total} shown"
    assert bar.current_view is None  # the view was edited
    selected = window.selected_incident()
    assert selected is not None
    assert selected.customer == "acme"  # the selection stayed on its (shown) incident
    qtbot.keyClick(bar.search, Qt.Key.Key_Escape)  # clears the text, keeps the focus
    assert bar.search.text() == ""
    assert window.model.rowCount() == total
    assert bar.search.hasFocus()
    assert window.selected_incident() is not None  # not the window's Esc
    qtbot.keyClick(bar.search, Qt.Key.Key_Escape)  # empty: back to the table
    assert window.table.hasFocus()
    assert bar.count_label.text() == f"{total} on the wall"


def test_filter_menus_narrow_the_wall_and_clear_shows_everything(window: MainWindow) -> None:
    bar = bar_of(window)
    total = window.model.rowCount()
    bar.severities.set_selected(["P1"])
    bar.severities.changed.emit()
    assert {i.severity for i in window.model.incidents()} == {Severity.P1}
    assert bar.severities.text() == "Severity: P1"
    bar.customers.menu().aboutToShow.emit()  # filled from the wall when it opens
    offered = [a.text() for a in bar.customers.menu().actions() if a.isCheckable()]
    assert offered == ["acme", "globex", "initech"]
    assert bar.clear_button.isEnabled()
    bar.clear_button.click()
    assert window.model.rowCount() == total
    assert bar.severities.text() == "Severity"
    assert not bar.clear_button.isEnabled()


def test_a_saved_view_comes_back_after_a_restart(
    qtbot, make_window, polled_console: Console, window: MainWindow, prompts: Prompts
) -> None:
    bar = bar_of(window)
    bar.set_filter(IncidentFilter(customers=frozenset({"initech", "globex"})))
    window.table.cycle_sort(Column.CUSTOMER)
    window.table.cycle_sort(Column.CUSTOMER)  # descending
    prompts.answers.append("Not ACME")
    bar.views_button.menu().aboutToShow.emit()
    save = next(a for a in bar.views_button.menu().actions() if a.text().startswith("Save"))
    save.trigger()
    assert bar.current_view == "Not ACME"
    assert next(i.customer for i in window.model.incidents()) == "initech"
    # a built-in view replaces filter and sort; the saved one brings them back
    assert window.choose_view("P1 and P2")
    assert window.model.sort_column is None
    assert {i.severity for i in window.model.incidents()} <= {Severity.P1, Severity.P2}
    assert window.choose_view("Not ACME")
    assert customers(window) == {"initech", "globex"}
    assert window.model.sort_descending
    window.set_density(COMPACT)
    compact_height = window.table.verticalHeader().defaultSectionSize()
    window.close()
    again = make_window(polled_console, prompt=prompts)
    again_bar = bar_of(again)
    assert again_bar.current_view == "Not ACME"
    assert customers(again) == {"initech", "globex"}
    assert again.model.sort_column is Column.CUSTOMER
    assert again.model.sort_descending
    assert again.table.horizontalHeader().isSortIndicatorShown()
    assert again.table.density == COMPACT
    assert again.table.verticalHeader().defaultSectionSize() == compact_height
    assert again_bar.density_action.isChecked()
    # deleting it leaves the filter shown, under no name
    assert again.delete_view("Not ACME")
    assert again.views.get("Not ACME") is None
    assert again_bar.current_view is None


def test_built_in_views_cannot_be_overwritten(window: MainWindow) -> None:
    assert not window.save_view("p1 AND p2")
    assert "built-in" in window.status.message_label.text()


def test_hidden_columns_and_widths_are_kept(
    make_window, polled_console: Console, window: MainWindow
) -> None:
    window.table.setColumnHidden(Column.OWNER, True)
    window.table.setColumnWidth(Column.CUSTOMER, 123)
    menu = window.table.column_menu()
    title = next(a for a in menu.actions() if a.text() == "Title")
    assert not title.isEnabled()  # a row needs its title
    window.close()
    again = make_window(polled_console)
    assert again.table.isColumnHidden(Column.OWNER)
    assert again.table.columnWidth(Column.CUSTOMER) == 123


def test_header_clicks_cycle_ascending_descending_urgency(window: MainWindow) -> None:
    urgency = [i.id for i in window.model.incidents()]
    window.table.horizontalHeader().sectionClicked.emit(Column.TEAM)
    teams = [i.team or "" for i in window.model.incidents()]
    assert teams == sorted(teams, key=str.casefold)
    window.table.horizontalHeader().sectionClicked.emit(Column.TEAM)
    assert window.model.sort_descending
    window.table.horizontalHeader().sectionClicked.emit(Column.TEAM)
    assert window.model.sort_column is None
    assert not window.table.horizontalHeader().isSortIndicatorShown()
    assert [i.id for i in window.model.incidents()] == urgency


def test_t_logs_a_ticket_then_says_which_it_is(
    qtbot, window: MainWindow, prompts: Prompts, polled_console: Console
) -> None:
    window.table.setFocus()
    window.table.select_row(0)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    prompts.answers.append("OPS-4711")
    qtbot.keyClick(window.table, Qt.Key.Key_T)
    settle(qtbot, window)
    assert polled_console.incident(target.id).ticket == "OPS-4711"
    assert window.model.index(window.model.row_of(target.id) or 0, Column.TICKET).data() == (
        "OPS-4711"
    )
    assert prompts.asked[-1][0] == f"Log ticket {target.key}"
    qtbot.keyClick(window.table, Qt.Key.Key_T)  # has one: no prompt, it says which
    assert len(prompts.asked) == 1
    assert "ticket OPS-4711 (copied)" in window.status.message_label.text()


def test_the_filter_never_hides_anything_from_the_counts(window: MainWindow) -> None:
    """The side panel and the SLA crossings see the whole wall; the filter is a view."""
    every = window.model.total()
    window.model.set_filter(IncidentFilter(states=frozenset({IncidentState.RESOLVED})))
    assert window.model.rowCount() == 0
    assert len(list(window.model.all_incidents())) == every
