"""The main window on the live demo console: polls fill the wall, the panel acts on incidents."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from app.console import Console
from app.domain.health import SourceStatus
from app.domain.incident import EscalationTier, IncidentState
from tests.helpers.ui_operator import Prompts
from ui.main_window import MainWindow
from ui.wall_model import Column


@pytest.fixture
def window(make_window, polled_console: Console, prompts: Prompts) -> MainWindow:
    return make_window(polled_console, prompt=prompts)


def wait_for_actions(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)


def test_a_poll_puts_incidents_on_the_wall(
    qtbot, make_window, demo_console: Console, t0: datetime
) -> None:
    window = make_window(demo_console)
    assert window.model.rowCount() == 0
    changes = demo_console.poll_once(t0)
    window.apply_changes(changes)
    assert window.model.rowCount() == len(changes.upserted) > 0
    assert window.status.last_poll_label.text().startswith("last poll ")
    assert "demo \u00b7 ok" in window.status.sources.lamps["demo"].label.text()
    # a later poll keeps the selection where the operator put it
    window.table.select_row(2)
    chosen = window.selected_incident()
    assert chosen is not None
    window.apply_changes(demo_console.poll_once(t0 + timedelta(minutes=3)))
    after = window.selected_incident()
    assert after is not None
    assert after.id == chosen.id


def test_selecting_a_row_fills_the_side_panel(qtbot, window: MainWindow) -> None:
    panel = window.side_panel
    assert panel is not None
    row = 1
    expected = window.model.incident_at(row)
    assert expected is not None
    with qtbot.waitSignal(panel.alerts_loaded, timeout=10_000) as loaded:
        window.table.select_row(row)
    assert panel.incident == expected
    assert panel.key_label.text() == expected.key
    assert panel.title_label.text() == expected.title
    assert loaded.args[0] == expected.id
    assert panel.alerts.topLevelItemCount() == len(loaded.args[1]) > 0
    assert panel.timeline_rows()[0][1] == "detected"
    assert not panel.buttons["close"].isEnabled()  # not resolved yet
    assert panel.buttons["acknowledge"].isEnabled()
    wait_for_actions(qtbot, window)


def test_acknowledge_runs_on_the_pool_and_moves_to_triaged(
    qtbot, window: MainWindow, polled_console: Console
) -> None:
    panel = window.side_panel
    assert panel is not None
    window.table.select_row(0)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    qtbot.mouseClick(panel.buttons["acknowledge"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.incident is not None and panel.incident.state is IncidentState.TRIAGED,
        timeout=10_000,
    )
    wait_for_actions(qtbot, window)
    shown = window.model.incident(target.id)
    assert shown is not None
    assert shown.state is IncidentState.TRIAGED
    assert shown.owner == polled_console.operator
    last = panel.timeline_rows()[-1]
    # acknowledged at detection: inside the P1's 15-minute response target
    assert last[1:3] == ("acknowledged \u00b7 response SLA met", polled_console.operator)
    assert not panel.buttons["acknowledge"].isEnabled()
    assert polled_console.incident(target.id).state is IncidentState.TRIAGED
    assert "acknowledged" in window.status.message_label.text()
    # the row shows the new state
    row = window.model.row_of(target.id)
    assert row is not None
    assert window.model.index(row, Column.STATE).data() == "triaged"


def test_escalate_asks_for_a_reason_and_records_it(
    qtbot, window: MainWindow, prompts: Prompts, polled_console: Console
) -> None:
    panel = window.side_panel
    assert panel is not None
    window.table.select_row(0)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    # the runbook has loaded: escalating past its open required steps names them
    qtbot.waitUntil(lambda: panel.tabs.tabText(2).startswith("Runbook ("), timeout=10_000)
    qtbot.waitUntil(lambda: "loading" not in panel.tabs.tabText(2), timeout=10_000)
    prompts.answers.append("orders db saturated, DBA needed")
    qtbot.mouseClick(panel.buttons["escalate"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.incident is not None and panel.incident.tier is EscalationTier.L2,
        timeout=10_000,
    )
    wait_for_actions(qtbot, window)
    assert prompts.asked[0][2] is True  # the reason is required
    assert (
        "Required runbook steps not done: Confirm the database is the root" in prompts.asked[0][1]
    )
    last = panel.timeline_rows()[-1]
    assert last[1] == "escalated L1 \u2192 L2"
    assert last[3].startswith("orders db saturated, DBA needed (required runbook steps not done: ")
    assert polled_console.incident(target.id).tier is EscalationTier.L2


def test_a_cancelled_prompt_does_nothing(qtbot, window: MainWindow, prompts: Prompts) -> None:
    panel = window.side_panel
    assert panel is not None
    window.table.select_row(0)
    before = window.selected_incident()
    qtbot.mouseClick(panel.buttons["escalate"], Qt.MouseButton.LeftButton)  # prompt answers None
    assert prompts.asked
    assert not window.incident_actions.busy(before)
    assert panel.incident == before
    assert not panel.error_label.isVisible()
    wait_for_actions(qtbot, window)


def test_close_is_disabled_until_resolved_and_then_needs_a_root_cause(
    qtbot, window: MainWindow, prompts: Prompts, polled_console: Console
) -> None:
    panel = window.side_panel
    assert panel is not None
    window.table.select_row(0)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    assert not panel.buttons["close"].isEnabled()
    prompts.answers.extend(["restarted the pool", "connection leak in orders-api 4.2"])
    qtbot.mouseClick(panel.buttons["resolve"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.buttons["close"].isEnabled, timeout=10_000)
    assert panel.incident is not None
    assert panel.incident.state is IncidentState.RESOLVED
    qtbot.mouseClick(panel.buttons["close"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.incident(target.id) is None, timeout=10_000)
    wait_for_actions(qtbot, window)
    closed = polled_console.incident(target.id)
    assert closed.state is IncidentState.CLOSED
    assert closed.rca == "connection leak in orders-api 4.2"
    assert [asked[2] for asked in prompts.asked] == [False, True]  # note optional, RCA required
    # the closed row left the wall; the selection (and the panel) moved to a neighbour
    assert panel.incident is not None
    assert panel.incident.id != target.id
    assert window.selected_incident() == panel.incident


def test_a_conflict_reloads_the_panel_and_says_why(
    qtbot, window: MainWindow, polled_console: Console, t0: datetime
) -> None:
    panel = window.side_panel
    assert panel is not None
    window.table.select_row(0)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    # another workstation acknowledges first
    polled_console.acknowledge(target.id, t0 + timedelta(seconds=5))
    qtbot.mouseClick(panel.buttons["acknowledge"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.error_label.isVisible, timeout=10_000)
    wait_for_actions(qtbot, window)
    assert "changed while you looked at it" in panel.error_label.text()
    assert panel.incident is not None
    assert panel.incident.state is IncidentState.TRIAGED
    assert window.model.incident(target.id).state is IncidentState.TRIAGED  # type: ignore[union-attr]
    assert "changed while you looked at it" in window.status.message_label.text()


def test_an_action_error_shows_inline_and_the_window_keeps_working(
    qtbot, window: MainWindow, polled_console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = window.side_panel
    assert panel is not None

    def locked(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is locked; nothing was changed, try again")

    monkeypatch.setattr(polled_console, "resolve", locked)
    window.table.select_row(0)
    qtbot.mouseClick(panel.buttons["resolve"], Qt.MouseButton.LeftButton)  # prompt: no note
    # the optional note was cancelled: nothing runs
    assert not window.incident_actions.busy(window.selected_incident())
    window.incident_actions.prompt = lambda *_: ""
    qtbot.mouseClick(panel.buttons["resolve"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.error_label.isVisible, timeout=10_000)
    wait_for_actions(qtbot, window)
    assert panel.error_label.text() == "database is locked; nothing was changed, try again"
    assert "database is locked" in window.status.message_label.text()
    assert panel.buttons["resolve"].isEnabled()  # free to try again
    # and the window still works
    qtbot.mouseClick(panel.buttons["acknowledge"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.incident is not None and panel.incident.state is IncidentState.TRIAGED,
        timeout=10_000,
    )
    wait_for_actions(qtbot, window)
    assert not panel.error_label.isVisible()


def test_keys_move_the_selection_and_act(qtbot, window: MainWindow, prompts: Prompts) -> None:
    window.activateWindow()
    window.table.setFocus()
    window.table.select_row(0)
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    assert window.table.currentIndex().row() == 1
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    qtbot.keyClick(window.table, Qt.Key.Key_K)
    assert window.table.currentIndex().row() == 1
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    qtbot.keyClick(window.table, Qt.Key.Key_A)
    qtbot.waitUntil(
        lambda: window.model.incident(target.id).state is IncidentState.TRIAGED, timeout=10_000
    )  # type: ignore[union-attr]
    wait_for_actions(qtbot, window)
    prompts.answers.append("needs L2")
    qtbot.keyClick(window.table, Qt.Key.Key_E)
    qtbot.waitUntil(
        lambda: window.model.incident(target.id).tier is EscalationTier.L2, timeout=10_000
    )  # type: ignore[union-attr]
    wait_for_actions(qtbot, window)
    prompts.answers.append("")
    qtbot.keyClick(window.table, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: window.model.incident(target.id).state is IncidentState.RESOLVED, timeout=10_000
    )  # type: ignore[union-attr]
    wait_for_actions(qtbot, window)


def test_wall_mode_counts_and_all_clear(
    qtbot, make_window, demo_console: Console, t0: datetime
) -> None:
    window = make_window(demo_console, wall=True)
    assert window.side_panel is None
    assert window.wall_header is not None
    assert window.all_clear is not None
    # nothing polled yet: no incidents, but the wall cannot call that all clear
    assert window.all_clear.isVisible()
    assert window.all_clear.headline.text() == "No incidents seen"
    window.apply_changes(demo_console.poll_once(t0))
    assert window.table.isVisible()
    counts = window.wall_header.counts
    assert sum(counts.by_severity.values()) == window.model.rowCount()
    assert window.wall_header.at_risk_label.text() == f"SLA at risk {counts.at_risk}"
    assert window.table.font().pointSizeF() > window.font().pointSizeF()


def test_wall_mode_says_all_clear_when_nothing_is_open_and_sources_are_ok(
    qtbot, make_window, demo_console: Console, t0: datetime
) -> None:
    window = make_window(demo_console, wall=True)
    changes = demo_console.poll_once(t0)
    empty = type(changes)(sources=changes.sources, at=t0)
    window.apply_changes(empty)  # the sources answered, nothing is on the wall
    assert window.all_clear is not None
    assert window.all_clear.isVisible()
    assert window.all_clear.headline.text() == "All clear"


def test_the_wall_never_says_all_clear_while_a_source_is_blind(
    qtbot, make_window, demo_console: Console, t0: datetime
) -> None:
    window = make_window(demo_console, wall=True)
    changes = demo_console.poll_once(t0)
    blind = tuple(
        replace(h, status=SourceStatus.DOWN, error="timed out", stale_since=t0)
        for h in changes.sources
    )
    window.apply_changes(type(changes)(sources=blind, at=t0))
    assert window.all_clear is not None
    assert window.all_clear.isVisible()
    assert window.all_clear.headline.text() == "No incidents seen"
    assert "not every source is answering: demo (down)" in window.all_clear.detail.text()
    assert window.wall_header is not None
    window.apply_changes(type(changes)(sources=changes.sources, at=t0))  # it answers again
    assert window.all_clear.headline.text() == "All clear"


def test_geometry_is_kept_in_qsettings(qtbot, make_window, demo_console: Console) -> None:
    # restoreGeometry keeps a window on its screen: the offscreen screen is 800x600, so a
    # size under it, and not under the window's own minimum (the side panel's rows)
    window = make_window(demo_console)
    height = max(540, window.minimumSizeHint().height())
    assert height < 600
    window.resize(700, height)
    qtbot.waitUntil(lambda: window.width() == 700)
    window.close()
    again = make_window(demo_console)
    assert (again.width(), again.height()) == (700, height)


def test_f_marks_a_false_positive_after_asking_why_and_esc_clears(
    qtbot, window: MainWindow, prompts: Prompts, polled_console: Console
) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts reach the active window only
    window.table.setFocus()
    window.table.select_row(0)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    prompts.answers.append(None)  # cancelled: nothing happens
    qtbot.keyClick(window.table, Qt.Key.Key_F)
    wait_for_actions(qtbot, window)
    assert polled_console.incident(target.id).state is not IncidentState.FALSE_POSITIVE
    prompts.answers.append("synthetic check misconfigured")
    qtbot.keyClick(window.table, Qt.Key.Key_F)
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).state is IncidentState.FALSE_POSITIVE,
        timeout=10_000,
    )
    wait_for_actions(qtbot, window)
    assert polled_console.incident(target.id).timeline[-1].note == "synthetic check misconfigured"
    window.table.select_row(0)
    assert window.selected_incident() is not None
    qtbot.keyClick(window.table, Qt.Key.Key_Escape)
    assert window.selected_incident() is None
    assert window.side_panel is not None
    assert window.side_panel.incident is None
