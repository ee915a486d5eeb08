"""Settings → Connections: each ticketing system's test against the Jira contract fake, the
sources' health, and where the config file is.

The tests run on the window's task runner: the GUI thread never looks a secret up nor
calls the network, and the button stays disabled until the answer is in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtWidgets import QLabel
from pytest_httpserver import HTTPServer

import ui.connections_dialog as connections
from app.config import Config, SourceConfig
from app.console import Console
from app.domain.health import SourceHealth, SourceStatus
from app.secrets import SERVICE
from tests.helpers.jira_fake import TOKEN, JiraFake
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.ticketing import jira_entry, own_http_server, ticketing_console
from tests.helpers.ui_operator import settle
from ui.connections_dialog import ConnectionsDialog, every, source_address
from ui.main_window import MainWindow
from ui.workers.actions import TaskRunner

NOT_AUTHENTICATED = "Client must be authenticated to access this resource."


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A keyring of this test's own (the session's is shared): what it stores goes with it."""
    before = keyring.get_keyring()
    fresh = MemoryKeyring()
    keyring.set_keyring(fresh)
    try:
        yield fresh
    finally:
        keyring.set_keyring(before)


@pytest.fixture
def jira_server() -> Iterator[HTTPServer]:
    with own_http_server() as server:
        yield server


@pytest.fixture
def jira(jira_server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> JiraFake:
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", TOKEN)
    return JiraFake(jira_server)


@pytest.fixture
def console(db_url: str, jira: JiraFake, t0: datetime) -> Iterator[Console]:
    made = ticketing_console(db_url, (jira_entry(jira),), t0)
    yield made
    made.shutdown()


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Which thread each secret look-up and each test ran on: (what, on the GUI thread)."""
    seen: list[tuple[str, bool]] = []

    def recorded(what: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            seen.append((what, threading.current_thread() is threading.main_thread()))
            return call(*args, **kwargs)

        return run

    monkeypatch.setattr(connections, "secret_state", recorded("secret", connections.secret_state))
    monkeypatch.setattr(
        connections, "check_ticketing", recorded("check", connections.check_ticketing)
    )
    return seen


def open_dialog(qtbot, window: MainWindow) -> ConnectionsDialog:  # type: ignore[no-untyped-def]
    """Settings → Connections, as the menu opens it; the secrets looked up (on the runner)."""
    settle(qtbot, window)
    finished: list[str] = []
    window.runner.action_finished.connect(lambda label, _result: finished.append(label))
    action = next(a for a in window.menuBar().actions() if a.text() == "&Settings")
    menu = action.menu()
    connect = next(a for a in menu.actions() if a.text().startswith("&Connections"))
    connect.trigger()
    dialog = window.connections_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: "look up the ticketing secrets" in finished, timeout=10_000)
    assert all(row.secret is not None for row in dialog.rows.values())
    return dialog


def test_the_ok_answer_shows_in_place_and_ran_on_the_runner(
    qtbot, make_window, console: Console, jira: JiraFake, threads: list[tuple[str, bool]]
) -> None:
    window = make_window(console)
    dialog = open_dialog(qtbot, window)
    row = dialog.rows["jira-ops"]
    assert row.secret_label.text() == "found in NOC_SECRET_JIRA_OPS"
    assert row.result_label.isHidden()
    with qtbot.waitSignal(window.runner.action_finished, timeout=10_000) as ran:
        row.test_button.click()
    assert ran.args is not None
    assert ran.args[0] == "test connection jira-ops"
    assert row.result_label.isVisible()
    assert row.result_label.text().startswith("\u2713 ok: Jira Cloud (v3) as noc-bot@example.com")
    assert "project OPS (Operations)" in row.result_label.text()
    assert row.test_button.isEnabled()
    assert jira.calls("myself")
    assert jira.calls("project")
    assert ("check", False) in threads
    assert ("secret", False) in threads
    assert all(not on_gui for _, on_gui in threads), threads


def test_the_button_is_disabled_while_testing(
    qtbot, make_window, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(console)
    dialog = open_dialog(qtbot, window)
    gate = threading.Event()
    real = connections.check_ticketing

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(connections, "check_ticketing", held)
    row = dialog.rows["jira-ops"]
    try:
        row.test_button.click()
        assert not row.test_button.isEnabled()
        assert row.result_label.text() == "testing\u2026"
        assert not dialog.test("jira-ops")  # a second click cannot start another
    finally:
        with qtbot.waitSignal(dialog.test_finished, timeout=10_000):
            gate.set()
    assert row.test_button.isEnabled()
    assert row.result_label.text().startswith("\u2713 ok:")


def test_a_401_shows_its_kind_and_the_server_words_never_the_secret(
    qtbot, make_window, console: Console, jira: JiraFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", "revoked-token")
    window = make_window(console)
    dialog = open_dialog(qtbot, window)
    row = dialog.rows["jira-ops"]
    with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as finished:
        row.test_button.click()
    check = finished.args[1] if finished.args else None
    assert check is not None
    assert check.kind == "auth"
    assert check.status == 401
    text = row.result_label.text()
    assert text.startswith(f"\u2717 HTTP 401 auth: {NOT_AUTHENTICATED}")
    # what a person can do about it: the environment is read before the keyring
    assert "set a new NOC_SECRET_JIRA_OPS" in text
    shown = [
        words for label in dialog.findChildren(QLabel) for words in (label.text(), label.toolTip())
    ] + [button.toolTip() for button in (row.test_button,)]
    assert not any("revoked-token" in words or TOKEN in words for words in shown)


@pytest.mark.usefixtures("memory_keyring")
def test_a_missing_secret_says_where_it_goes_and_nothing_is_sent(
    qtbot, make_window, console: Console, jira: JiraFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOC_SECRET_JIRA_OPS")
    window = make_window(console)
    dialog = open_dialog(qtbot, window)
    row = dialog.rows["jira-ops"]
    assert row.secret_label.text() == "not found"
    words = row.result_label.text()
    assert "NOC_SECRET_JIRA_OPS" in words
    assert "`noc-console secrets set jira-ops`" in words
    assert "nothing was tested" in words
    with qtbot.waitSignal(dialog.test_finished, timeout=10_000):
        row.test_button.click()
    assert row.result_label.text() == words
    assert not jira.calls("myself")
    assert not jira.calls("project")
    # stored in the keyring since: the next look finds it, and the test goes through
    keyring.set_password(SERVICE, "jira-ops", TOKEN)
    dialog.close()
    with qtbot.waitSignal(dialog.secrets_looked_up, timeout=10_000):
        window.show_connections()
    assert row.secret_label.text() == "found in the OS keyring"
    assert row.result_label.isHidden()
    with qtbot.waitSignal(dialog.test_finished, timeout=10_000):
        row.test_button.click()
    assert row.result_label.text().startswith("\u2713 ok:")


def test_the_sources_show_the_health_the_window_knows(
    qtbot, make_window, polled_console: Console, t0: datetime
) -> None:
    window = make_window(polled_console)
    dialog = window.show_connections()
    qtbot.waitExposed(dialog)
    (name,) = dialog.source_lamps
    assert name == "demo"
    assert not dialog.rows  # the demo has no ticketing: nothing to look up
    assert dialog.source_lamps[name].label.text().startswith(f"{name} \u00b7 ok")
    assert dialog.source_errors[name].isHidden()
    down = SourceHealth(
        name,
        "demo",
        SourceStatus.DOWN,
        error="connection refused",
        error_class="refused",
        last_attempt=t0,
        last_success=t0 - timedelta(minutes=3),
    )
    window.set_source_health([down])
    assert " \u00b7 down \u00b7 stale since " in dialog.source_lamps[name].label.text()
    assert dialog.source_errors[name].text() == "connection refused [refused]"
    assert dialog.source_errors[name].isVisible()


def test_it_says_where_the_config_file_is(qtbot, tmp_path: Path, t0: datetime) -> None:
    path = tmp_path / "noc-console.toml"
    config = Config(
        path=path,
        sources=(
            SourceConfig("prod-am", "alertmanager", options={"url": "https://am.example:9093"}),
            SourceConfig("old-prom", "prometheus", options={"url": "http://p:9090"}, enabled=False),
        ),
    )
    runner = TaskRunner()
    dialog = ConnectionsDialog(config, runner, clock=lambda: t0)
    qtbot.addWidget(dialog)
    assert dialog.config_label.text() == f"Config file: {path}"
    assert "restart" in dialog.config_help.text()
    assert set(dialog.source_lamps) == {"prod-am"}  # a disabled source has no health
    assert dialog.source_lamps["prod-am"].label.text() == "prod-am \u00b7 not polled yet"
    assert not dialog.rows
    demo = ConnectionsDialog(Config.demo(), runner, clock=lambda: t0)
    qtbot.addWidget(demo)
    assert "built-in demo estate" in demo.config_label.text()
    assert "noc-console.toml" in demo.config_help.text()


def test_the_words_of_a_source() -> None:
    assert every(timedelta(seconds=15)) == "15 s"
    assert every(timedelta(minutes=5)) == "5 min"
    assert every(timedelta(seconds=90)) == "90 s"
    assert every(timedelta(hours=2)) == "2 h"
    cloudwatch = SourceConfig("cw", "cloudwatch", options={"region": "eu-west-1"})
    assert source_address(cloudwatch) == "region eu-west-1"
    datadog = SourceConfig("dd", "datadog", options={"site": "eu1"})
    assert source_address(datadog) == "https://api.datadoghq.eu (EU1)"
    pair = SourceConfig("am", "alertmanager", options={"urls": ["https://a", "https://b"]})
    assert source_address(pair) == "https://a, https://b"


def test_the_wall_has_no_settings_menu(qtbot, make_window, polled_console: Console) -> None:
    wall = make_window(polled_console, wall=True)
    assert wall.menuWidget() is None  # watched, not worked: nothing to set up from the wall
