"""Wall mode's rotation through customers and pages, and the flash of a new P1 or a breach."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.config import Config
from app.config.display import DisplayConfig, Rotation, WallDisplay
from app.console import Console
from app.domain.notifications import Notification, NotificationKind
from app.domain.severity import Severity
from ui.main_window import MainWindow, is_alarm
from ui.wall_rotation import ALARM_HOLD_TURNS


def rotating_console(tmp_path: Path, t0: datetime, *modes: Rotation) -> Console:
    display = DisplayConfig(wall=WallDisplay(rotate=modes))
    console = Console.open(
        replace(Config.demo(), display=display), database_url=f"sqlite:///{tmp_path / 'r.db'}"
    )
    console.poll_once(t0)
    return console


@pytest.fixture
def customers_console(tmp_path: Path, t0: datetime) -> Iterator[Console]:
    console = rotating_console(tmp_path, t0, Rotation.CUSTOMERS)
    yield console
    console.shutdown()


def notice(kind: NotificationKind, severity: Severity, t0: datetime) -> Notification:
    return Notification(kind, 1, "INC-000001", severity, "db down", "INC-000001 ...", t0)


def shown_customers(window: MainWindow) -> set[str | None]:
    return {i.customer for i in window.model.incidents()}


def test_the_wall_turns_through_each_customer_then_everyone(
    make_window, customers_console: Console, t0: datetime
) -> None:
    window = make_window(customers_console, wall=True)
    rotation = window.rotation
    assert rotation is not None
    assert rotation.timer.isActive()
    everyone = window.model.rowCount()
    assert shown_customers(window) == {"acme", "globex", "initech"}
    seen = []
    for _ in range(4):
        stop = rotation.turn()
        seen.append(stop.customer)
        assert shown_customers(window) <= {stop.customer} or stop.customer is None
        # the header counts the whole wall whatever the rotation shows
        assert window.model.total() == everyone
    assert seen == ["acme", "globex", "initech", None]
    assert window.model.rowCount() == everyone
    assert window.status.message_label.text() == "all customers"


def test_a_new_p1_or_a_breach_flashes_and_brings_everyone_back(
    make_window, customers_console: Console, t0: datetime
) -> None:
    window = make_window(customers_console, wall=True)
    rotation, flash = window.rotation, window.flash
    assert rotation is not None
    assert flash is not None
    rotation.turn()
    assert shown_customers(window) == {"acme"}
    window._announce([notice(NotificationKind.AT_RISK, Severity.P1, t0)])
    assert not flash.lit  # at risk is a toast, not an alarm
    window._announce([notice(NotificationKind.BREACHED, Severity.P3, t0)])
    assert flash.lit
    assert flash.isVisible()
    assert shown_customers(window) == {"acme", "globex", "initech"}
    for _ in range(ALARM_HOLD_TURNS):  # held on everyone for a while
        assert rotation.turn().customer is None
    assert rotation.turn().customer == "acme"
    flash.stop()
    assert not flash.isVisible()


def test_alarms_are_new_p1s_and_breaches(t0: datetime) -> None:
    assert is_alarm(notice(NotificationKind.OPENED, Severity.P1, t0))
    assert not is_alarm(notice(NotificationKind.OPENED, Severity.P2, t0))
    assert is_alarm(notice(NotificationKind.BREACHED, Severity.P4, t0))
    assert not is_alarm(notice(NotificationKind.ESCALATED, Severity.P1, t0))


def test_pages_scroll_a_long_wall_a_screenful_at_a_time(
    qtbot, make_window, tmp_path: Path, t0: datetime
) -> None:
    console = rotating_console(tmp_path, t0, Rotation.PAGES)
    try:
        window = make_window(console, wall=True)
        row = window.table.verticalHeader().defaultSectionSize()
        window.resize(1200, window.height() - window.table.viewport().height() + 2 * row + 4)
        qtbot.waitUntil(lambda: window.table.viewport().height() < 3 * row)  # two rows a page
        rotation = window.rotation
        assert rotation is not None
        rotation.start()
        pages = rotation.stop.pages
        assert pages > 1
        tops = []
        for _ in range(pages):
            tops.append(window.table.rowAt(0))
            rotation.turn()
        assert tops[0] == 0
        assert tops == sorted(set(tops))  # each page starts further down
        assert window.table.rowAt(0) == 0  # and round again
        assert "page 1/" in window.status.message_label.text()
        # its loads hold sessions: done before the engine goes, or their connection is
        # collected unclosed in a later test (an unraisable ResourceWarning there)
        window.runner.wait(10_000)
    finally:
        console.shutdown()


def test_f11_asks_for_the_wall_display_beside_the_operator_window(
    qtbot, make_window, customers_console: Console
) -> None:
    window = make_window(customers_console)
    assert window.rotation is None  # operator mode never rotates
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    with qtbot.waitSignal(window.wall_requested, timeout=1000):
        qtbot.keyClick(window.table, Qt.Key.Key_F11)


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen has no stacking
def test_f11_opens_one_wall_from_the_operator_window_s_incidents(
    qtbot, make_window, polled_console: Console
) -> None:
    from ui.app import open_wall

    operator = make_window(polled_console)
    walls: list[MainWindow] = []
    wall = open_wall(polled_console, [], walls, operator)  # deleted on close, not by qtbot
    assert wall.wall_mode
    assert sorted(i.id or 0 for i in wall.model.all_incidents()) == sorted(
        i.id or 0 for i in operator.model.all_incidents()
    )
    assert not operator.sounds_enabled  # the wall plays them while it is open
    assert open_wall(polled_console, [], walls, operator) is wall  # one wall, brought forward
    wall.shutdown()
    wall.close()  # deleted on close (later, by the event loop)
    qtbot.waitUntil(lambda: walls == [])
    assert operator.sounds_enabled
