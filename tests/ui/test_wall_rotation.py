"""Wall mode's rotation through customers and pages, and the flash of a new P1 or a breach."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.config import Config
from app.config.display import DisplayConfig, Rotation, WallDisplay
from app.console import Console
from app.domain.notifications import Notification, NotificationKind
from app.domain.service_metrics import Bucket, MetricsReport
from app.domain.severity import Severity
from ui.main_window import MainWindow, is_alarm
from ui.metrics_view import EMPTY_WORDS
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


def watch_metrics(console: Console, monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The threads `metrics_report` runs on, one a call."""
    threads: list[threading.Thread] = []
    report = console.metrics_report

    def recorded(*args: Any, **kwargs: Any) -> MetricsReport:
        threads.append(threading.current_thread())
        return report(*args, **kwargs)

    monkeypatch.setattr(console, "metrics_report", recorded)
    return threads


def test_the_round_ends_on_the_metrics_page_computed_off_the_gui_thread(
    qtbot, make_window, tmp_path: Path, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = rotating_console(tmp_path, t0, Rotation.CUSTOMERS, Rotation.METRICS)
    try:
        threads = watch_metrics(console, monkeypatch)
        window = make_window(console, wall=True)
        rotation = window.rotation
        assert rotation is not None
        assert window.wall_metrics is None  # built when the rotation first comes round
        seen = [rotation.turn().customer for _ in range(3)]
        assert seen == ["acme", "globex", "initech"]
        stop = rotation.turn()
        assert stop.metrics
        view = window.wall_metrics
        assert view is not None
        assert window._wall_stack is not None
        assert window._wall_stack.currentWidget() is view
        assert not view.controls.isVisible()  # the wall is watched, not worked
        assert window.status.message_label.text() == "metrics \u00b7 last 30 days"
        qtbot.waitUntil(lambda: view.report is not None, timeout=10_000)
        assert view.report is not None
        assert view.report.scope.customer is None
        assert view.report.scope.severity is None
        assert view.report.bucket is Bucket.DAY
        assert view.report.period.incidents > 0
        assert view.stack.currentIndex() == 1  # the charts
        assert threads
        assert threading.main_thread() not in threads
        window._refresh_wall()  # a poll while the page is up leaves it up
        assert window._wall_stack.currentWidget() is view
        stop = rotation.turn()  # and round again, from everyone
        assert (stop.metrics, stop.customer) == (False, None)
        assert window._wall_stack.currentWidget() is window.table
        assert shown_customers(window) == {"acme", "globex", "initech"}
        window.runner.wait(10_000)
    finally:
        console.shutdown()


def test_the_metrics_page_computes_at_most_once_a_minute(
    qtbot, make_window, tmp_path: Path, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = rotating_console(tmp_path, t0, Rotation.METRICS)
    try:
        threads = watch_metrics(console, monkeypatch)
        now = [t0]
        window = make_window(console, wall=True, clock=lambda: now[0])
        rotation = window.rotation
        assert rotation is not None
        assert rotation.turn().metrics  # metrics alone: the wall, the page, the wall...
        qtbot.waitUntil(lambda: len(threads) == 1, timeout=10_000)
        assert not rotation.turn().metrics
        now[0] = t0 + timedelta(seconds=30)
        assert rotation.turn().metrics
        window.runner.wait(10_000)
        assert len(threads) == 1  # its last report, shown again
        rotation.turn()
        now[0] = t0 + timedelta(minutes=1)
        rotation.turn()
        qtbot.waitUntil(lambda: len(threads) == 2, timeout=10_000)
        window.runner.wait(10_000)
    finally:
        console.shutdown()


def test_an_empty_history_shows_the_empty_words(
    qtbot, make_window, tmp_path: Path, t0: datetime
) -> None:
    console = rotating_console(tmp_path, t0, Rotation.METRICS)
    try:
        later = t0 + timedelta(days=400)  # nothing in its last 30 days
        window = make_window(console, wall=True, clock=lambda: later)
        rotation = window.rotation
        assert rotation is not None
        rotation.turn()
        view = window.wall_metrics
        assert view is not None
        qtbot.waitUntil(lambda: view.report is not None, timeout=10_000)
        assert view.stack.currentIndex() == 0
        assert view.empty_label.text() == EMPTY_WORDS
        window.runner.wait(10_000)
    finally:
        console.shutdown()


def test_an_alarm_brings_the_wall_back_from_the_metrics_page(
    make_window, tmp_path: Path, t0: datetime
) -> None:
    console = rotating_console(tmp_path, t0, Rotation.PAGES, Rotation.METRICS)
    try:
        window = make_window(console, wall=True)
        rotation = window.rotation
        assert rotation is not None
        while not rotation.stop.metrics:
            rotation.turn()
        window._announce([notice(NotificationKind.OPENED, Severity.P1, t0)])
        assert not rotation.stop.metrics
        assert window._wall_stack is not None
        assert window._wall_stack.currentWidget() is window.table
        window.runner.wait(10_000)
    finally:
        console.shutdown()
