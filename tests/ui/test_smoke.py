"""Every top-level window opens offscreen on the demo estate without a traceback or a Qt warning."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.console import Console
from ui.main_window import MainWindow


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
