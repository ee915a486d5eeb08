"""What the triage engine adds to the window: root cause, team, badges, alert reasons,
known issues, triage events in the timeline, the severity override and suppressed alerts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from app.console import Console
from app.domain.alert import Alert, AlertStatus
from app.domain.incident import (
    FLAPPING,
    EventKind,
    Incident,
    IncidentState,
    TimelineEvent,
)
from app.domain.severity import Severity
from tests.helpers.ui_operator import panel_of, settle
from ui.main_window import MainWindow
from ui.severity_dialog import SeverityDialog
from ui.suppressed import REASONS, SuppressedAlerts
from ui.timeline import event_words
from ui.wall_model import BadgesRole, Column, SeverityRole
from ui.workers.actions import TaskRunner

MAINTENANCE = "maintenance: VPN concentrator swap until 2026-11-30 02:00Z"


class SeverityAnswers:
    """A scripted operator for the severity dialog: answers in order, remembers who asked."""

    def __init__(self, *answers: tuple[Severity, str] | None) -> None:
        self.answers = list(answers)
        self.asked: list[Incident] = []

    def __call__(self, incident: Incident) -> tuple[Severity, str] | None:
        self.asked.append(incident)
        return self.answers.pop(0) if self.answers else None


@pytest.fixture
def severity_answers() -> SeverityAnswers:
    return SeverityAnswers()


@pytest.fixture
def open_window(make_window, severity_answers: SeverityAnswers) -> Callable[..., MainWindow]:
    def make(console: Console, *, wall: bool = False) -> MainWindow:
        return make_window(console, wall=wall, severity_prompt=severity_answers)

    return make


def select_first(qtbot, window: MainWindow) -> Incident:
    """Select the wall's top row and wait for the panel's loads; the stored incident shown."""
    window.table.select_row(0)
    settle(qtbot, window)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    return target


def row_of(window: MainWindow, incident_id: int | None) -> int:
    assert incident_id is not None
    row = window.model.row_of(incident_id)
    assert row is not None
    return row


# ---------------------------------------------------------------------- wall and side panel


def test_the_root_cause_team_and_the_reason_of_every_alert_are_shown(
    qtbot, open_window, polled_console: Console
) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    root = next(i for i in window.model.incidents() if len(i.services) > 1)
    assert root.root_service == "acme-db"  # the demo storm: the database and its dependants
    row = row_of(window, root.id)
    assert window.model.index(row, Column.SERVICES).data() == "acme-db +5"
    assert window.model.index(row, Column.TEAM).data() == root.team == "dba-team"
    window.table.select_row(row)  # it may be selected already: the first row is, on load
    settle(qtbot, window)
    assert panel.incident == root
    alerts = polled_console.alerts_of(root.id or 0)
    assert panel.tabs.tabText(1) == f"Alerts ({len(alerts)})"
    assert panel.root_label.text() == (
        "root cause candidate: acme-db \u00b7 5 dependent services affected"
    )
    assert not panel.root_label.isHidden()
    assert panel.summary_text("team") == "dba-team"
    rows = panel.alerts.rows()
    assert [r.alertname for r in rows] == [a.alertname for a in alerts]
    # every alert says why it is in this incident, under its own row
    assert all(a.reason for a in alerts)
    assert [r.why for r in rows] == [a.reason for a in alerts]
    symptoms = [r for r in rows if r.why.startswith("symptom of acme-db: ")]
    assert symptoms
    assert any("depends on it" in r.why for r in symptoms)
    first = panel.alerts.topLevelItem(0)
    assert first is not None
    assert first.childCount() == 1
    assert first.child(0).isFirstColumnSpanned()  # type: ignore[union-attr]


def test_flapping_and_suppressed_alerts_are_marked_in_the_alert_list(
    qtbot, open_window, polled_console: Console, t0: datetime
) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    settle(qtbot, window)

    def alert(name: str, **fields: object) -> Alert:
        labels = {"alertname": name, "customer": "acme", "service": "acme-vpn"}
        return Alert(
            "demo",
            name,
            labels,
            {"summary": f"{name} summary"},
            AlertStatus.FIRING,
            t0,
            None,
            t0,
            **fields,
        )  # type: ignore[arg-type]

    panel.set_alerts(
        [
            alert("VpnTunnelDown", flapping=True, reason="fired again: same alert as before"),
            alert(
                "DiskSpaceLow", suppressed_by=("silenced by 'db maintenance' (alice) until 14:00Z",)
            ),
            alert("NtpClockSkew"),
        ]
    )
    flapping, held, plain = panel.alerts.rows()
    assert flapping.status == "firing \u27f2"
    assert flapping.why == (
        "\u27f2 flapping: fires and clears too often \u00b7 fired again: same alert as before"
    )
    assert held.status == "suppressed"
    assert held.why == "suppressed: silenced by 'db maintenance' (alice) until 14:00Z"
    assert held.summary == "DiskSpaceLow summary"
    assert plain.why == ""
    third = panel.alerts.topLevelItem(2)
    assert third is not None
    assert third.childCount() == 0  # nothing to explain, no empty line
    assert panel.tabs.tabText(1) == "Alerts (3)"


def test_a_known_issue_badges_the_row_and_the_panel_shows_its_rule(
    qtbot, open_window, triage_console: Console
) -> None:
    window = open_window(triage_console)
    panel = panel_of(window)
    known = next(i for i in window.model.incidents() if i.known_issue)
    assert known.known_issue == "KI-12"
    row = row_of(window, known.id)
    assert window.model.index(row, Column.TITLE).data(BadgesRole) == ("KI-12",)
    window.table.select_row(row)
    settle(qtbot, window)
    box = panel.known_issue_box
    assert not box.isHidden()
    assert box.heading.text() == "Known issue KI-12"
    assert box.title_label.text() == "initech backup jobs fail during the nightly snapshot"
    assert box.details_text() == (
        "ticket OPS-881 \u00b7 runbook https://runbooks.example/backup-snapshot"
    )
    assert panel.summary_text("flags") == "known issue KI-12"
    assert panel.timeline_rows()[-1][1] == "known issue KI-12"
    # an incident without a known issue hides the box
    other = next(i for i in window.model.incidents() if not i.known_issue)
    window.table.select_row(row_of(window, other.id))
    settle(qtbot, window)
    assert box.isHidden()


def test_triage_events_read_as_words_in_the_timeline(
    qtbot, open_window, polled_console: Console, t0: datetime
) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    settle(qtbot, window)
    current = panel.incident
    assert current is not None
    later = t0 + timedelta(minutes=1)
    snapshot = current.correlate(
        "acme-storage",
        later,
        title=current.title,
        team="storage-team",
        services=("acme-storage", *current.services),
        note="symptom of acme-storage: acme-db depends on it",
    )
    snapshot = snapshot.set_flapping(True, later, "flapping: 6 changes in 30 min")
    snapshot = snapshot.set_flapping(False, later, "calm for 30 min")
    snapshot = snapshot.badge_known_issue("KI-12", later, "known issue KI-12: backups")
    panel.show_incident(replace(snapshot, version=current.version + 1))
    settle(qtbot, window)
    events = [(words, note) for _at, words, _actor, note in panel.timeline_rows()[-4:]]
    assert events == [
        (
            "correlated: root acme-db \u2192 acme-storage",
            "symptom of acme-storage: acme-db depends on it",
        ),
        ("\u27f2 flapping", "flapping: 6 changes in 30 min"),
        ("flapping stopped", "calm for 30 min"),
        ("known issue KI-12", "known issue KI-12: backups"),
    ]
    assert panel.summary_text("team") == "storage-team"


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (EventKind.CORRELATED, {"from": "", "to": "acme-db"}, "correlated: root acme-db"),
        (
            EventKind.CORRELATED,
            {"from": "acme-api", "to": "acme-db"},
            "correlated: root acme-api \u2192 acme-db",
        ),
        (EventKind.FLAPPING, {"flapping": "yes"}, "\u27f2 flapping"),
        (EventKind.FLAPPING, {"flapping": "no"}, "flapping stopped"),
        (EventKind.KNOWN_ISSUE, {"known_issue": "KI-12"}, "known issue KI-12"),
        (EventKind.SEVERITY_CHANGED, {"from": "P1", "to": "P3"}, "severity changed P1 \u2192 P3"),
        (EventKind.FALSE_POSITIVE, {}, "false positive"),
    ],
)
def test_event_words(t0: datetime, kind: EventKind, data: dict[str, str], expected: str) -> None:
    assert event_words(TimelineEvent(t0, kind, "system", "", data)) == expected


def test_flags_read_as_words(qtbot, open_window, polled_console: Console) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    settle(qtbot, window)
    current = panel.incident
    assert current is not None
    panel.show_incident(
        replace(current, flags=frozenset({FLAPPING}), recurrence_of=3, version=current.version + 1)
    )
    settle(qtbot, window)
    assert panel.summary_text("flags") == "\u27f2 flapping, recurrence of INC-000003"


# ---------------------------------------------------------------------- severity override


def test_the_severity_override_asks_for_a_reason_and_lands_in_the_timeline(
    qtbot, open_window, polled_console: Console, severity_answers: SeverityAnswers
) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    target = select_first(qtbot, window)
    assert target.severity is Severity.P1
    button = panel.buttons["change_severity"]
    assert button.isEnabled()
    assert button.toolTip() == "Change severity (S)"
    severity_answers.answers.append((Severity.P2, "only the reporting replica is hit"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.incident is not None and panel.incident.severity is Severity.P2,
        timeout=10_000,
    )
    settle(qtbot, window)
    assert severity_answers.asked == [target]
    _at, words, actor, note = panel.timeline_rows()[-1]
    assert (words, actor, note) == (
        "severity changed P1 \u2192 P2",
        polled_console.operator,
        "only the reporting replica is hit",
    )
    assert panel.badge.severity is Severity.P2
    stored = polled_console.incident(target.id)
    assert stored.severity is Severity.P2
    last = stored.timeline[-1]
    assert (last.kind, last.note, dict(last.data)) == (
        EventKind.SEVERITY_CHANGED,
        "only the reporting replica is hit",
        {"from": "P1", "to": "P2"},
    )
    assert stored.response_due != target.response_due  # the clocks were re-targeted
    shown = window.model.index(row_of(window, target.id), Column.SEVERITY)
    assert shown.data(SeverityRole) == "P2"
    assert "severity changed P1 \u2192 P2" in window.status.message_label.text()


def test_the_s_key_changes_the_severity_in_operator_mode(
    qtbot, open_window, polled_console: Console, severity_answers: SeverityAnswers
) -> None:
    window = open_window(polled_console)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts reach the active window only
    window.table.setFocus()
    window.table.select_row(1)
    settle(qtbot, window)
    target = window.selected_incident()
    assert target is not None
    assert target.id is not None
    severity_answers.answers.append((Severity.P4, "lab host, nobody is affected"))
    qtbot.keyClick(window.table, Qt.Key.Key_S)
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).severity is Severity.P4, timeout=10_000
    )
    settle(qtbot, window)
    assert severity_answers.asked == [target]
    assert window.model.incident(target.id).severity is Severity.P4  # type: ignore[union-attr]


def test_no_override_without_a_reason_and_a_cancel_does_nothing(
    qtbot, open_window, polled_console: Console, severity_answers: SeverityAnswers
) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    target = select_first(qtbot, window)
    severity_answers.answers.extend([None, (Severity.P3, "   ")])
    qtbot.mouseClick(panel.buttons["change_severity"], Qt.MouseButton.LeftButton)  # cancelled
    assert not panel.error_label.isVisible()
    qtbot.mouseClick(panel.buttons["change_severity"], Qt.MouseButton.LeftButton)  # no reason
    assert panel.error_label.isVisible()
    assert panel.error_label.text() == "changing the severity needs a reason"
    assert not window.runner.busy  # nothing was sent to the console
    assert len(severity_answers.asked) == 2
    assert polled_console.incident(target.id).version == target.version


def test_a_severity_override_on_a_changed_incident_is_a_conflict(
    qtbot, open_window, polled_console: Console, severity_answers: SeverityAnswers, t0: datetime
) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    target = select_first(qtbot, window)
    polled_console.acknowledge(target.id, t0 + timedelta(seconds=5))  # another workstation
    severity_answers.answers.append((Severity.P2, "only the reporting replica is hit"))
    qtbot.mouseClick(panel.buttons["change_severity"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.error_label.isVisible, timeout=10_000)
    settle(qtbot, window)
    assert "changed while you looked at it" in panel.error_label.text()
    assert panel.incident is not None
    assert panel.incident.state is IncidentState.TRIAGED  # reloaded
    assert polled_console.incident(target.id).severity is Severity.P1  # not overwritten


def test_no_severity_override_on_a_resolved_incident(
    qtbot, open_window, polled_console: Console, severity_answers: SeverityAnswers, t0: datetime
) -> None:
    window = open_window(polled_console)
    panel = panel_of(window)
    target = select_first(qtbot, window)
    resolved = polled_console.resolve(target.id, t0 + timedelta(minutes=1), "restarted")
    window.model.upsert(resolved)
    panel.show_incident(resolved)
    assert not panel.buttons["change_severity"].isEnabled()
    severity_answers.answers.append((Severity.P2, "not on a resolved incident"))
    qtbot.mouseClick(panel.buttons["change_severity"], Qt.MouseButton.LeftButton)
    assert severity_answers.asked == []


def test_the_wall_has_no_severity_key(
    qtbot, open_window, polled_console: Console, severity_answers: SeverityAnswers
) -> None:
    wall = open_window(polled_console, wall=True)
    wall.activateWindow()
    qtbot.waitUntil(wall.isActiveWindow)  # shortcuts reach the active window only
    wall.table.setFocus()
    wall.table.select_row(0)
    target = wall.selected_incident()
    assert target is not None
    assert target.id is not None
    qtbot.keyClick(wall.table, Qt.Key.Key_A)  # the wall does have the other keys
    qtbot.waitUntil(
        lambda: polled_console.incident(target.id or 0).acknowledged_at is not None,
        timeout=10_000,
    )
    settle(qtbot, wall)
    severity_answers.answers.append((Severity.P2, "from across the room"))
    qtbot.keyClick(wall.table, Qt.Key.Key_S)
    settle(qtbot, wall)
    assert severity_answers.asked == []


def test_the_severity_dialog_needs_another_severity_and_a_reason(
    qtbot, polled_console: Console, t0: datetime
) -> None:
    incident = polled_console.wall(t0)[0]
    dialog = SeverityDialog(incident)
    qtbot.addWidget(dialog)
    assert not dialog.choices[incident.severity].isEnabled()
    assert not dialog.ok_button.isEnabled()
    dialog.choices[Severity.P3].setChecked(True)
    assert not dialog.ok_button.isEnabled()  # no reason yet
    qtbot.keyClicks(dialog.reason_edit, "  customer says only reports are slow ")
    assert dialog.ok_button.isEnabled()
    assert dialog.answer() == (Severity.P3, "customer says only reports are slow")
    dialog.reason_edit.clear()
    assert not dialog.ok_button.isEnabled()


# ---------------------------------------------------------------------- suppressed alerts


def test_suppressed_alerts_are_counted_and_listed(
    qtbot, open_window, triage_console: Console, t0: datetime
) -> None:
    window = open_window(triage_console)
    button = window.status.suppressed_button
    qtbot.waitUntil(lambda: button.text() == "2 suppressed", timeout=10_000)
    settle(qtbot, window)
    # in maintenance: kept and listed, never part of an incident
    assert all("globex-vpn" not in incident.services for incident in window.model.incidents())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.suppressed_dialog
    assert dialog is not None
    assert dialog.isVisible()
    rows = sorted(dialog.rows(), key=lambda row: row[2])
    stored = sorted(triage_console.suppressed_alerts(), key=lambda alert: alert.alertname)
    assert [row[:5] for row in rows] == [
        ("globex", "globex-vpn", "DiskSpaceLow", stored[0].summary, MAINTENANCE),
        ("globex", "globex-vpn", "VpnTunnelDown", stored[1].summary, MAINTENANCE),
    ]
    assert "2 firing alerts are held out of every incident" in dialog.summary_label.text()


def test_the_suppressed_count_follows_every_change_set(
    qtbot, open_window, polled_console: Console, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(polled_console)
    button = window.status.suppressed_button
    qtbot.waitUntil(lambda: button.text() == "0 suppressed", timeout=10_000)
    settle(qtbot, window)
    dialog = window.show_suppressed_alerts()
    assert dialog.rows() == []
    assert dialog.summary_label.text().startswith("No firing alert is suppressed")
    held = replace(
        polled_console.alerts_of(1)[0],
        suppressed_by=("silenced by 'db maintenance' (alice) until 14:00Z", "inhibited by X"),
    )
    monkeypatch.setattr(polled_console, "suppressed_alerts", lambda: [held])
    with qtbot.waitSignal(window.suppressed.suppressed_changed, timeout=10_000):
        window.apply_changes(polled_console.poll_once(t0 + timedelta(minutes=1)))
    settle(qtbot, window)
    assert button.text() == "1 suppressed"
    assert button.font().bold()
    ((customer, service, alertname, summary, reasons, _since),) = dialog.rows()
    assert (customer, service, alertname, summary) == (
        held.customer,
        held.service,
        held.alertname,
        held.summary,
    )
    assert reasons == "silenced by 'db maintenance' (alice) until 14:00Z; inhibited by X"
    tooltip = dialog.model.index(0, REASONS).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "silenced by 'db maintenance' (alice) until 14:00Z\ninhibited by X"


def test_the_wall_header_counts_suppressed_alerts(
    qtbot, open_window, triage_console: Console
) -> None:
    window = open_window(triage_console, wall=True)
    header = window.wall_header
    assert header is not None
    qtbot.waitUntil(lambda: header.suppressed_label.text() == "2 suppressed", timeout=10_000)
    settle(qtbot, window)
    assert not window.status.suppressed_button.isVisible()  # the header carries it on the wall


class _SlowSuppressed:
    """A console whose suppressed-alerts query blocks until released, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()

    def suppressed_alerts(self) -> list[Alert]:
        self.calls += 1
        self.release.wait(10)
        return []


def test_a_burst_of_refreshes_costs_at_most_two_queries(qtbot) -> None:
    console = _SlowSuppressed()
    runner = TaskRunner()
    watch = SuppressedAlerts(console, runner)  # type: ignore[arg-type]
    answers: list[object] = []
    watch.suppressed_changed.connect(answers.append)
    try:
        for _ in range(5):  # one change set per source, arriving together
            watch.refresh()
        console.release.set()
        qtbot.waitUntil(lambda: console.calls == 2 and not runner.busy, timeout=10_000)
    finally:
        console.release.set()
        runner.wait(10_000)
    assert console.calls == 2
    assert answers == [[]]  # the second answer was the same list: nothing to redraw
    assert watch.known


def test_a_failed_query_says_so_on_the_indicator(
    qtbot, open_window, polled_console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(polled_console)
    settle(qtbot, window)

    def locked() -> list[Alert]:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(polled_console, "suppressed_alerts", locked)
    with qtbot.waitSignal(window.suppressed.refresh_failed, timeout=10_000):
        window.suppressed.refresh()
    settle(qtbot, window)
    button = window.status.suppressed_button
    assert button.text() == "0 suppressed"  # the last count stays
    assert "database is locked" in button.toolTip()
    # the next answer clears the error, even when the list itself did not change
    monkeypatch.setattr(polled_console, "suppressed_alerts", list)
    with qtbot.waitSignal(window.suppressed.suppressed_changed, timeout=10_000):
        window.suppressed.refresh()
    settle(qtbot, window)
    assert "database is locked" not in button.toolTip()
