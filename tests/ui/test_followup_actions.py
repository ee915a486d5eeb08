"""Customer updates (the countdown in the side panel, recording one) and de-escalation, end to end
through the console."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from app.console import Console
from app.domain.incident import EscalationTier, EventKind, Incident, TimelineEvent
from tests.helpers.ui_operator import Clock, Prompts, panel_of, settle
from ui.incident_actions import CUSTOMER_UPDATE, DEESCALATE, ESCALATE
from ui.incident_header import update_words
from ui.main_window import MainWindow
from ui.timeline import event_words

TOLD = "failover to the replica under way, next update by 10:40"


@pytest.fixture
def window(make_window, polled_console: Console, prompts: Prompts, clock: Clock) -> MainWindow:
    return make_window(polled_console, prompt=prompts, clock=clock)


def select_first(qtbot, window: MainWindow) -> Incident:
    window.table.select_row(0)
    settle(qtbot, window)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    return target


# ---------------------------------------------------------------------- customer updates


def test_update_words_count_down_then_overdue(t0: datetime) -> None:
    due = t0 + timedelta(minutes=12)
    assert update_words(due, t0) == ("next customer update due in 12 min", False)
    assert update_words(due, due + timedelta(minutes=3)) == (
        "customer update overdue by 3 min",
        True,
    )


def test_the_panel_counts_down_to_the_customer_update_and_records_one(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts, clock: Clock, t0: datetime
) -> None:
    panel = panel_of(window)
    target = select_first(qtbot, window)
    assert target.update_due == t0 + timedelta(minutes=30)
    assert panel.summary_shown("customer_update")
    assert panel.summary_text("customer_update") == "next customer update due in 30 min"
    clock.now = t0 + timedelta(minutes=18)
    window.tick()  # the 1 s tick moves the countdown
    assert panel.summary_text("customer_update") == "next customer update due in 12 min"
    clock.now = t0 + timedelta(minutes=33)
    window.tick()
    assert panel.summary_text("customer_update") == "customer update overdue by 3 min"
    assert "font-weight: bold" in panel._values["customer_update"].styleSheet()
    button = panel.buttons[CUSTOMER_UPDATE.name]
    assert button.text() == "Customer update\u2026"
    assert button.isEnabled()
    prompts.answers.append(f" {TOLD} ")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).version > target.version, timeout=10_000
    )
    settle(qtbot, window)
    ((title, label, required),) = prompts.asked
    assert (title, required) == ("Customer update INC-000001", True)
    assert label == "What was the customer told about INC-000001?"
    stored = polled_console.incident(target.id or 0)
    assert stored.update_due == clock.now + timedelta(minutes=30)  # the P1 cadence again
    last = stored.timeline[-1]
    assert (last.kind, last.note) == (EventKind.CUSTOMER_UPDATE, TOLD)
    assert panel.summary_text("customer_update") == "next customer update due in 30 min"
    assert panel._values["customer_update"].styleSheet() == ""
    assert panel.timeline_rows()[-1][1:] == (
        "\u2709 customer updated",
        polled_console.operator,
        TOLD,
    )
    assert window.status.message_label.text() == "INC-000001 customer update recorded"


def test_a_customer_update_on_a_stale_snapshot_is_a_conflict(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts, t0: datetime
) -> None:
    panel = panel_of(window)
    target = select_first(qtbot, window)
    assert target.id is not None
    # someone else acknowledged it meanwhile: the panel's snapshot is one version behind
    polled_console.acknowledge(target.id, t0, "", expected_version=target.version)
    prompts.answers.append(TOLD)
    qtbot.mouseClick(panel.buttons[CUSTOMER_UPDATE.name], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.error_label.isVisible, timeout=10_000)
    settle(qtbot, window)
    stored = polled_console.incident(target.id)
    assert stored.timeline[-1].kind is EventKind.ACKNOWLEDGED  # nothing overwritten
    assert panel.incident is not None
    assert panel.incident.version == stored.version


def test_no_update_countdown_without_a_cadence(qtbot, window: MainWindow) -> None:
    panel = panel_of(window)
    window.table.select_row(1)
    settle(qtbot, window)
    incident = window.selected_incident()
    assert incident is not None
    assert incident.update_due is None
    assert not panel.summary_shown("customer_update")


def test_timeline_words_for_updates_and_deescalations(t0: datetime) -> None:
    told = TimelineEvent(t0, EventKind.CUSTOMER_UPDATE, "op", TOLD)
    down = TimelineEvent(t0, EventKind.DEESCALATED, "op", "fixed", {"from": "L2", "to": "L1"})
    assert event_words(told) == "\u2709 customer updated"
    assert event_words(down) == "de-escalated L2 \u2192 L1"


# ---------------------------------------------------------------------- de-escalation


def test_deescalate_goes_one_tier_down_with_a_reason(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts
) -> None:
    panel = panel_of(window)
    target = select_first(qtbot, window)
    button = panel.buttons[DEESCALATE.name]
    assert target.tier is EscalationTier.L1
    assert button.text() == "De-escalate\u2026"
    assert not button.isEnabled()  # nothing below L1
    prompts.answers.append("the DBA team is needed")
    qtbot.mouseClick(panel.buttons[ESCALATE.name], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).tier is EscalationTier.L2, timeout=10_000
    )
    settle(qtbot, window)
    assert button.isEnabled()
    prompts.answers.append("replica promoted; L1 watches the lag")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).tier is EscalationTier.L1, timeout=10_000
    )
    settle(qtbot, window)
    title, label, required = prompts.asked[-1]
    assert (title, label, required) == (
        "De-escalate INC-000001",
        "Why de-escalate INC-000001 back to L1?",
        True,
    )
    stored = polled_console.incident(target.id or 0)
    last = stored.timeline[-1]
    assert (last.kind, last.note, last.data["from"], last.data["to"]) == (
        EventKind.DEESCALATED,
        "replica promoted; L1 watches the lag",
        "L2",
        "L1",
    )
    assert panel.timeline_rows()[-1][1] == "de-escalated L2 \u2192 L1"
    assert panel.summary_text("tier") == "L1"
    assert not button.isEnabled()
    assert window.status.message_label.text() == "INC-000001 de-escalated L2 \u2192 L1"


def test_deescalate_without_a_reason_does_nothing(
    qtbot, window: MainWindow, polled_console: Console, prompts: Prompts
) -> None:
    target = select_first(qtbot, window)
    assert target.id is not None
    polled_console.escalate(target.id, target.detected_at, "needs L2")
    window.apply_changes(polled_console.refresh(target.detected_at))
    settle(qtbot, window)
    panel = panel_of(window)
    assert panel.incident is not None
    assert panel.incident.tier is EscalationTier.L2
    prompts.answers.append(None)  # cancelled
    qtbot.mouseClick(panel.buttons[DEESCALATE.name], Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert polled_console.incident(target.id).tier is EscalationTier.L2
