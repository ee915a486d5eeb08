"""Every top-level window opens offscreen on the demo estate without a traceback or a Qt warning."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.console import Console
from ui.main_window import MainWindow
from ui.severity_dialog import SeverityDialog


@pytest.mark.parametrize("wall", [False, True], ids=["operator", "wall"])
def test_window_opens_on_the_demo_estate(
    qtbot, polled_console: Console, t0: datetime, wall: bool
) -> None:
    window = MainWindow(polled_console, wall=wall, clock=lambda: t0)
    qtbot.addWidget(window)
    window.load(polled_console.wall(t0), polled_console.source_health())
    window.show()
    qtbot.waitExposed(window)
    assert window.model.rowCount() > 0
    window.table.repaint_sla_cells()
    qtbot.waitUntil(lambda: window.first_paint_seen)
    window.close()


def test_every_dialog_opens_on_the_demo_estate(
    qtbot, polled_console: Console, t0: datetime
) -> None:
    """Suppressed alerts, notifications, sounds, connections, the severity override, and
    the column and views menus: each opens without a warning (the suite fails on Qt
    warnings)."""
    window = MainWindow(polled_console, clock=lambda: t0, audible=False)
    qtbot.addWidget(window)
    window.load(polled_console.wall(t0), polled_console.source_health())
    window.show()
    qtbot.waitExposed(window)
    window.table.select_row(0)
    incident = window.selected_incident()
    assert incident is not None
    dialogs = [
        window.show_suppressed_alerts(),
        window.notifier.show_history(),
        window.show_sounds(),
        window.show_connections(),
        SeverityDialog(incident, window),
    ]
    for dialog in dialogs:
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.close()
    assert window.filter_bar is not None
    # menus are filled when they open (a popup grabs the keyboard: not on offscreen)
    for menu in (window.table.column_menu(), window.filter_bar.views_button.menu()):
        menu.aboutToShow.emit()
        assert len(menu.actions()) > 4
    window.close()
