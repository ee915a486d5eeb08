"""Waiting on the customer: the panel's button and the W key pause and resume the SLA clocks
through the console; the wall's cells and header read every clock through `Console.clock`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.config import Config
from app.console import Console
from app.domain.incident import EventKind, Incident, IncidentState, TimelineEvent
from tests.helpers.ui_operator import Clock, Prompts, panel_of, settle
from ui.local_time import hm
from ui.main_window import MainWindow
from ui.side_panel import WAITING_BUTTON
from ui.sla_clock import PAUSE_MARK, SlaLook
from ui.timeline import event_words, waited
from ui.wall_model import Column

DOT = " \u00b7 "
REASON = "customer to confirm the maintenance window"


@pytest.fixture
def window(make_window, polled_console: Console, prompts: Prompts, clock: Clock) -> MainWindow:
    return make_window(polled_console, prompt=prompts, clock=clock)


def select(qtbot, window: MainWindow, row: int = 0) -> Incident:
    window.table.select_row(row)
    settle(qtbot, window)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    return target


def sla_cell_text(window: MainWindow, incident_id: int | None) -> str:
    assert incident_id is not None
    index = window.model.index_of(incident_id, Column.SLA)
    assert index.isValid()
    return str(index.data())


def focus_table(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts reach the active window only
    window.table.setFocus()


# ---------------------------------------------------------------------- pause and resume


def test_the_waiting_button_asks_why_and_stops_the_clocks(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts, clock: Clock, t0: datetime
) -> None:
    panel = panel_of(window)
    target = select(qtbot, window)
    assert (target.key, target.response_due) == ("INC-000001", t0 + timedelta(minutes=15))
    button = panel.buttons[WAITING_BUTTON]
    assert button.text() == "Waiting on customer\u2026"
    assert button.toolTip().startswith("Waiting on customer (W)")
    assert not panel.summary_shown("waiting")
    clock.now = t0 + timedelta(minutes=5)
    prompts.answers.append(f"  {REASON} ")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).paused_since is not None, timeout=10_000
    )
    settle(qtbot, window)
    ((title, _label, required),) = prompts.asked
    assert (title, required) == ("Waiting on customer INC-000001", True)
    stored = polled_console.incident(target.id)
    assert stored.paused_since == t0 + timedelta(minutes=5)
    assert stored.version == target.version + 1
    last = stored.timeline[-1]
    assert (last.kind, last.note, last.actor) == (EventKind.PAUSED, REASON, polled_console.operator)
    # the panel says so, and its button now resumes
    assert button.text() == "Resume clocks"
    assert button.isEnabled()
    assert panel.summary_shown("waiting")
    assert (
        panel.summary_text("waiting") == f"paused since {hm(t0 + timedelta(minutes=5))} ({REASON})"
    )
    assert panel.summary_text("sla") == f"{PAUSE_MARK} paused{DOT}response 10:00 left"
    assert panel.summary_text("response_due").endswith("(paused)")
    assert panel.timeline_rows()[-1][1:] == (
        f"{PAUSE_MARK} waiting on customer",
        polled_console.operator,
        REASON,
    )
    # the wall's cell stops counting: the same text long after the old deadline
    assert sla_cell_text(window, target.id) == f"{PAUSE_MARK} paused{DOT}response 10:00 left"
    clock.now = t0 + timedelta(minutes=40)
    assert sla_cell_text(window, target.id) == f"{PAUSE_MARK} paused{DOT}response 10:00 left"
    assert "waiting on the customer: SLA clocks paused" in window.status.message_label.text()


def test_resuming_pushes_the_deadlines_by_the_time_spent_waiting(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts, clock: Clock, t0: datetime
) -> None:
    panel = panel_of(window)
    target = select(qtbot, window)
    clock.now = t0 + timedelta(minutes=1)
    prompts.answers.append(REASON)
    button = panel.buttons[WAITING_BUTTON]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: button.text() == "Resume clocks", timeout=10_000)
    settle(qtbot, window)
    before = polled_console.incident(target.id)
    clock.now = t0 + timedelta(minutes=13)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # no question: resuming needs no reason
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).paused_since is None, timeout=10_000
    )
    settle(qtbot, window)
    assert len(prompts.asked) == 1
    after = polled_console.incident(target.id)
    assert before.resolve_due is not None
    assert before.response_due is not None
    # a 24x7 contract: both running clocks move by the twelve minutes waited
    assert after.resolve_due == before.resolve_due + timedelta(minutes=12)
    assert after.response_due == before.response_due + timedelta(minutes=12)
    last = after.timeline[-1]
    assert (last.kind, dict(last.data)) == (EventKind.RESUMED, {"paused_for": "720"})
    assert panel.timeline_rows()[-1][1] == "\u25b6 clocks resumed after 12 min"
    assert button.text() == "Waiting on customer\u2026"
    assert not panel.summary_shown("waiting")
    # 14 of the 15 minutes are left: counting again, not at risk
    assert panel.summary_text("sla") == "response 14:00"
    assert sla_cell_text(window, target.id) == "response 14:00"
    clock.now += timedelta(seconds=30)
    assert sla_cell_text(window, target.id) == "response 13:30"


def test_the_w_key_pauses_then_resumes_in_operator_mode(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts, clock: Clock, t0: datetime
) -> None:
    focus_table(qtbot, window)
    target = select(qtbot, window, 0)  # the P1: its clocks run 24x7 (P3s count business hours)
    prompts.answers.append("waiting for the customer's change window")
    clock.now = t0 + timedelta(minutes=2)
    qtbot.keyClick(window.table, Qt.Key.Key_W)
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).paused_since is not None, timeout=10_000
    )
    settle(qtbot, window)
    paused = polled_console.incident(target.id)
    assert paused.timeline[-1].note == "waiting for the customer's change window"
    shown = window.model.incident(target.id or 0)
    assert shown is not None
    assert shown.paused_since == t0 + timedelta(minutes=2)
    clock.now = t0 + timedelta(minutes=32)
    qtbot.keyClick(window.table, Qt.Key.Key_W)  # the same key resumes, without a question
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).paused_since is None, timeout=10_000
    )
    settle(qtbot, window)
    assert len(prompts.asked) == 1
    resumed = polled_console.incident(target.id)
    assert resumed.timeline[-1].kind is EventKind.RESUMED
    assert paused.resolve_due is not None
    assert resumed.resolve_due == paused.resolve_due + timedelta(minutes=30)


def test_a_cancel_or_an_empty_reason_does_nothing(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts
) -> None:
    panel = panel_of(window)
    target = select(qtbot, window)
    prompts.answers.extend([None, "   "])
    button = panel.buttons[WAITING_BUTTON]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # cancelled
    assert not panel.error_label.isVisible()
    assert not window.runner.busy
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # no reason
    assert panel.error_label.isVisible()
    assert panel.error_label.text() == "waiting on customer needs a reason"
    assert not window.runner.busy  # nothing was sent to the console
    assert len(prompts.asked) == 2
    stored = polled_console.incident(target.id)
    assert (stored.version, stored.paused_since) == (target.version, None)
    assert button.text() == "Waiting on customer\u2026"


def test_the_wall_has_no_waiting_key(
    qtbot, make_window, polled_console: Console, prompts: Prompts
) -> None:
    wall = make_window(polled_console, wall=True, prompt=prompts)
    focus_table(qtbot, wall)
    target = select(qtbot, wall)
    prompts.answers.append("from across the room")
    qtbot.keyClick(wall.table, Qt.Key.Key_W)
    settle(qtbot, wall)
    assert prompts.asked == []
    assert polled_console.incident(target.id).paused_since is None


def test_pausing_an_incident_changed_elsewhere_is_a_conflict(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts, t0: datetime
) -> None:
    panel = panel_of(window)
    target = select(qtbot, window)
    polled_console.acknowledge(target.id, t0 + timedelta(seconds=5))  # another workstation
    prompts.answers.append(REASON)
    qtbot.mouseClick(panel.buttons[WAITING_BUTTON], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.error_label.isVisible, timeout=10_000)
    settle(qtbot, window)
    assert "changed while you looked at it" in panel.error_label.text()
    assert panel.incident is not None
    assert panel.incident.state is IncidentState.TRIAGED  # reloaded
    assert polled_console.incident(target.id).paused_since is None  # not overwritten


def test_a_resolved_incident_cannot_wait(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts, t0: datetime
) -> None:
    panel = panel_of(window)
    target = select(qtbot, window)
    resolved = polled_console.resolve(target.id, t0 + timedelta(minutes=1), "restarted")
    window.model.upsert(resolved)
    panel.show_incident(resolved)
    button = panel.buttons[WAITING_BUTTON]
    assert not button.isEnabled()
    prompts.answers.append(REASON)
    assert not window.incident_actions.pause(resolved)
    assert prompts.asked == []
    assert panel.error_label.text() == "cannot pause the SLA clocks of INC-000001: it is resolved"


# ---------------------------------------------------------------------- the wall reads Console.clock


@pytest.fixture
def early_marks_console(tmp_path: Path, t0: datetime) -> Iterator[Console]:
    """The demo estate polled at t0 under policies whose at-risk marks are 20 % and 40 %."""
    policies = tmp_path / "policies.yaml"
    policies.write_text("sla:\n  at_risk: [20%, 40%]\n")
    config = replace(Config.demo(), policies_path=policies)
    console = Console.open(config, database_url=f"sqlite:///{tmp_path / 'marks.db'}")
    try:
        console.poll_once(t0)
        yield console
    finally:
        console.shutdown()


@pytest.mark.parametrize(
    ("minutes", "text", "look", "at_risk", "breached"),
    [
        (5, "response 10:00", SlaLook.OK, 0, 0),  # 33 % of the P1's 15 minutes
        (8, "response 07:00", SlaLook.WARNING, 1, 0),  # 53 %: past the first mark
        (12, "response 03:00", SlaLook.DANGER, 1, 0),  # 80 %: past the second
        (16, "BREACHED \u221201:00", SlaLook.BREACHED, 0, 1),
    ],
    ids=["ok", "past-50", "past-75", "breached"],
)
def test_cells_and_header_counts_use_the_same_readings(
    qtbot,
    make_window,
    polled_console: Console,
    clock: Clock,
    t0: datetime,
    minutes: int,
    text: str,
    look: SlaLook,
    at_risk: int,
    breached: int,
) -> None:
    wall = make_window(polled_console, wall=True, clock=clock)
    clock.now = t0 + timedelta(minutes=minutes)
    header = wall.wall_header
    assert header is not None
    counts = header.update_counts(wall.model.incidents())
    (p1,) = [i for i in wall.model.incidents() if i.key == "INC-000001"]
    assert sla_cell_text(wall, p1.id) == text
    index = wall.model.index_of(p1.id or 0, Column.SLA)
    reading = wall.table.sla_delegate.reading(index)
    assert reading is not None
    assert reading.look is look
    # the P3s are hours from their deadlines: the P1 is the only one counted
    assert (counts.at_risk, counts.danger, counts.breached) == (
        at_risk,
        int(look is SlaLook.DANGER),
        breached,
    )
    assert header.at_risk_label.text() == f"SLA at risk {at_risk}"
    assert header.breached_label.text() == f"breached {breached}"


def test_a_paused_incident_is_neither_at_risk_nor_breached_on_the_header(
    qtbot, make_window, polled_console: Console, clock: Clock, t0: datetime
) -> None:
    wall = make_window(polled_console, wall=True, clock=clock)
    first = polled_console.wall(t0)[0]
    paused = polled_console.pause(first.id, t0 + timedelta(minutes=5), REASON)
    wall.model.upsert(paused)
    header = wall.wall_header
    assert header is not None
    for minutes in (12, 60):  # past the second mark, then long past the old deadline
        clock.now = t0 + timedelta(minutes=minutes)
        counts = header.update_counts(wall.model.incidents())
        assert (counts.at_risk, counts.breached) == (0, 0)
        assert sla_cell_text(wall, first.id) == f"{PAUSE_MARK} paused{DOT}response 10:00 left"


def test_the_at_risk_marks_come_from_the_policies(
    qtbot, make_window, early_marks_console: Console, clock: Clock, t0: datetime
) -> None:
    wall = make_window(early_marks_console, wall=True, clock=clock)
    header = wall.wall_header
    assert header is not None
    (p1,) = [i for i in wall.model.incidents() if i.key == "INC-000001"]
    index = wall.model.index_of(p1.id or 0, Column.SLA)
    expected = {2: SlaLook.OK, 4: SlaLook.WARNING, 7: SlaLook.DANGER}  # 13 %, 27 %, 47 %
    for minutes, look in expected.items():
        clock.now = t0 + timedelta(minutes=minutes)
        reading = wall.table.sla_delegate.reading(index)
        assert reading is not None
        assert reading.look is look, minutes
        assert header.update_counts(wall.model.incidents()).at_risk == int(look is not SlaLook.OK)


# ---------------------------------------------------------------------- timeline words


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (EventKind.PAUSED, {}, f"{PAUSE_MARK} waiting on customer"),
        (EventKind.RESUMED, {"paused_for": "720"}, "\u25b6 clocks resumed after 12 min"),
        (EventKind.RESUMED, {"paused_for": "45"}, "\u25b6 clocks resumed after 45 s"),
        (EventKind.RESUMED, {}, "\u25b6 clocks resumed"),
        (EventKind.ACKNOWLEDGED, {"response": "met"}, f"acknowledged{DOT}response SLA met"),
        (
            EventKind.ACKNOWLEDGED,
            {"response": "breached"},
            f"acknowledged{DOT}response SLA breached",
        ),
        (EventKind.RESOLVED, {"resolve": "met"}, f"resolved{DOT}resolution SLA met"),
        (EventKind.RESOLVED, {"resolve": "breached"}, f"resolved{DOT}resolution SLA breached"),
        (EventKind.RESOLVED, {}, "resolved"),  # no contract, or stored before the verdicts
    ],
)
def test_sla_event_words(
    t0: datetime, kind: EventKind, data: dict[str, str], expected: str
) -> None:
    assert event_words(TimelineEvent(t0, kind, "alice", REASON, data)) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (3660, "1 h 01 min"),
        (86400, "1 d"),
        (90000, "1 d 1 h"),
    ],
)
def test_waited(seconds: int, expected: str) -> None:
    assert waited(seconds) == expected
