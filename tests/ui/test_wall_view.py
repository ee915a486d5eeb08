"""The 1-second SLA tick repaints only the visible cells of the SLA column, never via dataChanged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QRect
from PySide6.QtTest import QSignalSpy
from PySide6.QtWidgets import QApplication

from tests.helpers.ui_incidents import incident
from ui.delegates import SeverityDelegate, SlaDelegate
from ui.wall_model import Column, IncidentTableModel
from ui.wall_view import SLA_TICK_MS, IncidentTableView


class CountingSla(SlaDelegate):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.painted: list[tuple[int, int]] = []

    def paint(self, painter, option, index) -> None:
        self.painted.append((index.row(), index.column()))
        super().paint(painter, option, index)


class CountingSeverity(SeverityDelegate):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.painted = 0

    def paint(self, painter, option, index) -> None:
        self.painted += 1
        super().paint(painter, option, index)


@pytest.fixture
def view(qtbot, t0: datetime) -> IncidentTableView:
    clock = {"now": t0}
    model = IncidentTableModel(clock=lambda: clock["now"])
    model.load(incident(n, t0 + timedelta(seconds=n)) for n in range(1, 301))
    view = IncidentTableView(model, clock=lambda: clock["now"])
    view.sla_timer.stop()  # the test drives the tick
    view.sla_delegate = CountingSla(view, clock=lambda: clock["now"])
    view.severity_delegate = CountingSeverity(view)
    view.setItemDelegateForColumn(Column.SLA, view.sla_delegate)
    view.setItemDelegateForColumn(Column.SEVERITY, view.severity_delegate)
    qtbot.addWidget(view)
    view.resize(1400, 500)
    view.show()
    qtbot.waitExposed(view)
    view.scrollTo(model.index(120, 0))
    qtbot.waitUntil(lambda: bool(view.sla_delegate.painted))
    view.clock_state = clock  # type: ignore[attr-defined]
    return view


def test_the_tick_repaints_only_the_visible_sla_cells(qtbot, view: IncidentTableView) -> None:
    model = view.model()
    top, bottom = view.rowAt(0), view.rowAt(view.viewport().height() - 1)
    assert 0 < top < bottom < model.rowCount() - 1  # scrolled into the middle
    QApplication.processEvents()  # flush the first paints
    view.sla_delegate.painted.clear()
    view.severity_delegate.painted = 0
    changed = QSignalSpy(model.dataChanged)
    view.clock_state["now"] += timedelta(seconds=1)  # type: ignore[attr-defined]
    view.repaint_sla_cells()
    qtbot.waitUntil(lambda: bool(view.sla_delegate.painted))
    painted = view.sla_delegate.painted
    assert {column for _, column in painted} == {Column.SLA}
    rows = {row for row, _ in painted}
    assert rows == set(range(top, bottom + 1))
    assert view.severity_delegate.painted == 0  # nothing outside the column was repainted
    assert changed.count() == 0


def test_the_update_rect_is_the_column_of_the_visible_rows(
    qtbot, view: IncidentTableView, monkeypatch
) -> None:
    updates: list[QRect] = []
    viewport = view.viewport()
    monkeypatch.setattr(viewport, "update", lambda *args: updates.append(QRect(*args)))
    view.repaint_sla_cells()
    assert len(updates) == 1
    rect = updates[0]
    assert rect.x() == view.columnViewportPosition(Column.SLA)
    assert rect.width() == view.columnWidth(Column.SLA)
    assert rect.height() <= viewport.height() + view.rowHeight(0) * 2
    assert rect.height() < view.rowHeight(0) * view.model().rowCount()


def test_the_timer_ticks_once_a_second(view: IncidentTableView) -> None:
    assert SLA_TICK_MS == 1000
    assert view.sla_timer.interval() == SLA_TICK_MS


def test_no_repaint_when_the_sla_column_is_scrolled_away(qtbot, view: IncidentTableView) -> None:
    view.resize(300, 300)
    view.horizontalScrollBar().setValue(0)
    QApplication.processEvents()
    if view.columnViewportPosition(Column.SLA) >= view.viewport().width():
        assert view.visible_sla_rect().isEmpty()
    view.setColumnHidden(Column.SLA, True)
    assert view.visible_sla_rect().isEmpty()


def test_cells_whose_text_and_look_stay_are_not_repainted(
    view: IncidentTableView, monkeypatch
) -> None:
    updates: list[QRect] = []
    monkeypatch.setattr(view.viewport(), "update", lambda *args: updates.append(QRect(*args)))
    view.repaint_sla_cells()  # the first tick paints every visible cell
    assert len(updates) == 1
    view.repaint_sla_cells()  # the same second: nothing changed, nothing to paint
    assert len(updates) == 1
    # 30 min countdowns ("response 29:59") change every second
    view.clock_state["now"] += timedelta(seconds=1)  # type: ignore[attr-defined]
    view.repaint_sla_cells()
    assert len(updates) == 2
