"""Notifications: toasts from change sets and the SLA tick (coalesced, summarised in a storm),
a click selects the incident, nothing takes the focus; policies reload when their files change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.config import load_config
from app.console import Console
from app.domain.changes import ChangeSet
from app.domain.incident import EscalationTier
from app.domain.notifications import Notification, NotificationKind
from app.domain.severity import Severity
from tests.helpers.ui_operator import Clock, settle
from ui.main_window import MainWindow
from ui.notifications import MAX_TOASTS, STORM, Notifier, storm_text


class Desktop:
    """A scripted desktop: remembers the messages it was asked to show."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, Severity | None]] = []

    def __call__(self, title: str, text: str, severity: Severity | None) -> None:
        self.shown.append((title, text, severity))


def notice(
    incident_id: int,
    kind: NotificationKind = NotificationKind.ESCALATED,
    *,
    text: str = "",
    at: datetime,
    severity: Severity = Severity.P1,
) -> Notification:
    key = f"INC-{incident_id:06d}"
    return Notification(
        kind=kind,
        incident_id=incident_id,
        key=key,
        severity=severity,
        title="something broke",
        text=text or f"{key} escalated to L2 (noc-l2): not acknowledged within 5 min in L1",
        at=at,
        team="noc-l2",
        tier="L2" if kind is NotificationKind.ESCALATED else None,
    )


@pytest.fixture
def window(make_window, polled_console: Console, clock: Clock) -> MainWindow:
    return make_window(polled_console, clock=clock)


def focus_table(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus)


# ---------------------------------------------------------------------- change sets


def test_an_escalation_in_a_change_set_is_a_toast_that_selects_its_incident(
    qtbot, window: MainWindow, t0: datetime
) -> None:
    focus_table(qtbot, window)
    window.table.select_row(0)
    target = window.model.incident_at(window.model.rowCount() - 1)
    assert target is not None
    assert target.id is not None
    assert window.selected_incident() != target
    escalated = notice(target.id, at=t0, text=f"{target.key} escalated to L2 (noc-l2): not acked")
    window.apply_changes(ChangeSet(at=t0, notifications=(escalated,)))
    stack = window.notifier.stack
    assert stack.texts() == [escalated.text]
    assert stack.isVisible()
    (toast,) = stack.toasts
    # top right of the window, and the operator keeps the keyboard
    assert toast.mapTo(window, toast.rect().topRight()).x() > window.width() * 0.6
    assert window.table.hasFocus()
    assert window.notifier.history_button.text() == "1 notification"
    qtbot.mouseClick(toast, Qt.MouseButton.LeftButton)
    selected = window.selected_incident()
    assert selected is not None
    assert selected.id == target.id
    assert stack.texts() == []  # a clicked toast has done its job
    assert window.table.hasFocus()
    # the history keeps it, and a double click there selects it too
    dialog = window.notifier.show_history()
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1
    assert escalated.text in dialog.list.item(0).text()


def test_a_repeated_notification_is_shown_once(qtbot, window: MainWindow, t0: datetime) -> None:
    escalated = notice(1, at=t0)
    window.apply_changes(ChangeSet(at=t0, notifications=(escalated,)))
    window.apply_changes(ChangeSet(at=t0, notifications=(escalated,)))
    assert window.notifier.stack.texts() == [escalated.text]
    assert len(window.notifier.history) == 1


def test_a_storm_of_notifications_is_one_summary_toast(
    qtbot, window: MainWindow, t0: datetime
) -> None:
    storm = tuple(
        notice(
            100 + n,
            NotificationKind.AT_RISK,
            text=f"INC-{100 + n:06d} response SLA 50% used",
            at=t0,
        )
        for n in range(12)
    )
    assert len(storm) > STORM
    window.apply_changes(ChangeSet(at=t0, notifications=storm))
    assert window.notifier.stack.texts() == ["12 incidents at risk"]
    assert len(window.notifier.history) == 12
    assert window.notifier.history[0].text == storm[-1].text  # newest first
    # a few at once are each shown, and never more than fit
    few = tuple(notice(200 + n, at=t0) for n in range(STORM))
    window.apply_changes(ChangeSet(at=t0, notifications=few))
    assert len(window.notifier.stack.toasts) == MAX_TOASTS
    assert window.notifier.stack.texts()[0] == few[-1].text


def test_storm_words_name_every_kind(t0: datetime) -> None:
    mixed = [
        notice(1, NotificationKind.AT_RISK, text="a", at=t0),
        notice(2, NotificationKind.AT_RISK, text="b", at=t0),
        notice(3, NotificationKind.BREACHED, text="c", at=t0),
    ]
    assert storm_text(mixed) == "3 incidents need attention: 2 at risk, 1 breached their SLA"


def test_desktop_messages_in_operator_mode_but_not_on_the_wall(qtbot, t0: datetime) -> None:
    from PySide6.QtWidgets import QMainWindow

    for wall, expected in ((False, 1), (True, 0)):
        host = QMainWindow()
        qtbot.addWidget(host)
        desktop = Desktop()
        notifier = Notifier(host, wall=wall, desktop=desktop, clock=lambda: t0)
        notifier.notify([notice(1, at=t0)])
        assert len(desktop.shown) == expected
        assert notifier.stack.texts() == [notice(1, at=t0).text]


def test_the_desktop_hears_new_p1s_breaches_and_escalations_to_this_tier(
    qtbot, t0: datetime
) -> None:
    from PySide6.QtWidgets import QMainWindow

    host = QMainWindow()
    qtbot.addWidget(host)
    desktop = Desktop()
    notifier = Notifier(host, desktop=desktop, clock=lambda: t0, tier=EscalationTier.L3)
    notifier.notify(
        [
            notice(1, at=t0),  # escalated to L2: another desk's
            notice(2, NotificationKind.AT_RISK, text="at risk", at=t0),
            notice(3, NotificationKind.UPDATE_DUE, text="update due", at=t0),
            notice(4, NotificationKind.OPENED, text="INC-000004 new P1", at=t0),
        ]
    )
    assert [title for title, _text, _severity in desktop.shown] == ["INC-000004 (P1)"]
    assert len(notifier.stack.texts()) == 4  # the window shows everything
    notifier.tier = EscalationTier.L2
    notifier.notify([notice(5, at=t0), notice(6, NotificationKind.BREACHED, text="b", at=t0)])
    assert [title for title, _t, _s in desktop.shown][1:] == ["INC-000005 (P1)", "INC-000006 (P1)"]
    notifier.tier = None  # no tier set: every escalation
    notifier.notify([notice(7, at=t0)])
    assert desktop.shown[-1][0] == "INC-000007 (P1)"


def test_a_ticket_conflict_reaches_the_desktop_and_its_toast_opens_the_outbox(
    qtbot, t0: datetime
) -> None:
    from PySide6.QtWidgets import QMainWindow

    host = QMainWindow()
    qtbot.addWidget(host)
    desktop = Desktop()
    notifier = Notifier(host, desktop=desktop, clock=lambda: t0)
    words = "INC-000008: OPS-3 is Resolved in Jira; the queued priority change to P1 was not sent."
    notifier.notify([notice(8, NotificationKind.TICKET_CONFLICT, text=words, at=t0)])
    assert desktop.shown == [("INC-000008 (P1)", words, Severity.P1)]
    (toast,) = notifier.stack.toasts
    assert "ticket outbox" in toast.toolTip()
    opened: list[bool] = []
    chosen: list[int] = []
    notifier.outbox_requested.connect(lambda: opened.append(True))
    notifier.incident_clicked.connect(chosen.append)
    qtbot.mouseClick(toast, Qt.MouseButton.LeftButton)
    assert (opened, chosen) == ([True], [8])
    many = [notice(i, NotificationKind.TICKET_CONFLICT, text=str(i), at=t0) for i in (1, 2)]
    assert storm_text(many) == "2 incidents have a ticket write to decide"


# ---------------------------------------------------------------------- the SLA tick


def test_an_sla_breach_on_the_tick_is_one_toast_not_one_a_second(
    qtbot, window: MainWindow, clock: Clock, t0: datetime
) -> None:
    first = window.model.incident_at(0)
    assert first is not None
    assert first.response_due == t0 + timedelta(minutes=15)
    clock.now = t0 + timedelta(minutes=14, seconds=58)
    window.tick()  # past both at-risk marks since the last tick: one notice for them
    assert window.notifier.stack.texts() == [f"{first.key} response SLA 100% used: {first.title}"]
    for second in range(59, 75):
        clock.now = t0 + timedelta(minutes=14, seconds=second)
        window.tick()
    breached = [t for t in window.notifier.stack.texts() if "breached" in t]
    assert breached == [f"{first.key} response SLA breached: {first.title}"]
    kinds = [n.kind for n in window.notifier.history]
    assert kinds.count(NotificationKind.BREACHED) == 1


def test_a_clock_set_back_notifies_nothing(
    qtbot, window: MainWindow, clock: Clock, t0: datetime
) -> None:
    clock.now = t0 + timedelta(minutes=20)
    window.tick()
    shown = len(window.notifier.history)
    assert shown >= 1
    clock.now = t0
    window.tick()
    clock.now = t0 + timedelta(minutes=20)
    window.tick()  # the same breach again: coalesced
    assert len(window.notifier.history) == shown


def test_the_wall_shows_toasts_in_large_type(
    qtbot, make_window, polled_console: Console, clock: Clock, t0: datetime
) -> None:
    wall = make_window(polled_console, wall=True, clock=clock)
    assert wall.notifier.desktop is None
    clock.now = t0 + timedelta(minutes=16)
    wall.tick()
    stack = wall.notifier.stack
    assert any("breached" in text for text in stack.texts())
    assert stack.font().pointSizeF() > wall.status.font().pointSizeF() * 1.1
    assert wall.wall_header is not None
    assert stack.y() >= wall.wall_header.height()  # the header's counts stay readable


# ---------------------------------------------------------------------- policies hot reload

GOOD = "sla:\n  at_risk: [50%, 75%]\n"
BAD = "sla:\n  at_risk: [50%, nope]\n"
CHANGED = "sla:\n  at_risk: [20%, 40%]\n"


@pytest.fixture
def file_console(tmp_path: Path) -> Iterator[Console]:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "policies.yaml").write_text(GOOD)
    toml = folder / "noc.toml"
    toml.write_text('policies = "policies.yaml"\n\n[[sources]]\nname = "demo"\nkind = "demo"\n')
    console = Console.open(load_config(toml), database_url=f"sqlite:///{tmp_path / 'noc.db'}")
    try:
        yield console
    finally:
        console.shutdown()


def replace_file(path: Path, text: str) -> None:
    """As editors save: a new file renamed over the old one."""
    scratch = path.with_suffix(".tmp")
    scratch.write_text(text)
    scratch.replace(path)


def test_policies_reload_when_their_file_changes(
    qtbot, make_window, file_console: Console, t0: datetime
) -> None:
    file_console.poll_once(t0)
    window = make_window(file_console)
    watch = window.policy_watch
    policies = file_console.config.policies_path
    assert policies is not None
    assert str(policies) in watch.watcher.files()
    before = file_console.policies
    # a bad file: refused, said in the status bar and a toast, the last good policies stay
    with qtbot.waitSignal(watch.reload_failed, timeout=10_000) as refused:
        replace_file(policies, BAD)
    settle(qtbot, window)
    assert "policies.yaml:2" in refused.args[0]
    message = window.status.message_label.text()
    assert message.startswith("\u26a0 policies not reloaded: ")
    assert "policies.yaml:2: sla.at_risk" in message
    assert message.endswith("(keeping the last good ones)")
    assert any(t.startswith("policies not reloaded") for t in window.notifier.stack.texts())
    assert file_console.policies is before
    assert str(policies) in watch.watcher.files()  # watched again after the rename
    # fixed: reloaded, and the wall read again under the new marks
    window.table.select_row(1)
    selected = window.selected_incident()
    with qtbot.waitSignal(watch.policies_reloaded, timeout=10_000):
        replace_file(policies, CHANGED)
    settle(qtbot, window)
    assert file_console.policies.at_risk == (0.2, 0.4)
    assert window.status.message_label.text() == "policies reloaded"
    assert "policies reloaded" in window.notifier.stack.texts()
    assert selected is not None
    assert window.selected_incident() is not None
    assert window.selected_incident().id == selected.id  # type: ignore[union-attr]


def test_a_burst_of_writes_is_one_reload(
    qtbot, make_window, file_console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(file_console)
    policies = file_console.config.policies_path
    assert policies is not None
    calls: list[int] = []
    reload = file_console.reload_policies
    monkeypatch.setattr(file_console, "reload_policies", lambda: calls.append(1) or reload())
    with qtbot.waitSignal(window.policy_watch.policies_reloaded, timeout=10_000):
        for text in (BAD, GOOD, CHANGED):
            policies.write_text(text)
    settle(qtbot, window)
    assert calls == [1]
    assert file_console.policies.at_risk == (0.2, 0.4)


def test_built_in_policies_watch_nothing(qtbot, window: MainWindow) -> None:
    assert window.console.config.policies_path is None
    assert not window.policy_watch.active
    assert window.policy_watch.watcher.files() == []
