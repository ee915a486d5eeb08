"""The Runbook tab: the storm's runbook as a checklist, worked through a real console."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

from app.config import Config
from app.console import ChartData, Console
from app.console.estate import load_estate
from app.domain.alert import Alert
from app.domain.incident import EventKind, Incident
from app.domain.runbook_progress import RunStatus
from app.domain.series import Series
from app.sources.factory import build_sources
from app.store import Database
from tests.helpers.consoles import demo_console, scripted_console
from tests.helpers.sources import make_alert
from tests.helpers.ui_operator import Clock, Prompts, panel_of, settle
from ui.local_time import hm
from ui.runbook_chart import MAX_SERIES, RunbookChart, hover_words
from ui.runbook_panel import RunbookPanel
from ui.workers.actions import TaskRunner

RUNBOOK = "db-connection-saturation"
STEPS = [
    "confirm-root",
    "connections-chart",
    "who-holds",
    "leak-or-load",
    "escalate-owner",
    "scale-pooler",
    "relief-validated",
    "pool-size",
    "fix-validated",
    "dashboard",
    "record",
]
# a site's copy of the runbook whose text carries a link that must never reach the desktop
SITE_RUNBOOK = """\
schema_version: 1
id: db-connection-saturation
title: Database connections saturated (site copy)
match:
  - ['alertname="PostgresConnectionsSaturated"']
parameters:
  service: {from: root_service, pattern: "[a-z0-9][a-z0-9-]{0,62}"}
steps:
  - id: read
    kind: check
    title: Read the notes
    text: "See [the notes](javascript:alert(1)) or [the wiki](https://wiki.example/db)."
  - id: wiki
    kind: link
    title: The wiki page
    url: "https://wiki.example/db/{service}"
"""

Opened = list[QUrl]


def clocked_console(url: str, clock: Clock, config: Config | None = None) -> Console:
    """The demo estate as alice, whose wall clock (action results, the demo's remediation)
    is the test's clock, not the machine's."""
    config = config or Config.demo()
    catalog, policies = load_estate(config)
    return Console(
        config,
        Database(url),
        catalog=catalog,
        policies=policies,
        sources=build_sources(config.sources, catalog),
        operator="alice",
        wall_clock=clock,
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runbooks.db'}"


@pytest.fixture
def console(db_url: str, clock: Clock, t0: datetime) -> Iterator[Console]:
    made = clocked_console(db_url, clock)
    made.poll_once(t0)
    try:
        yield made
    finally:
        made.shutdown()


@pytest.fixture
def opened() -> Opened:
    return []


@pytest.fixture
def make_panel(qtbot, clock: Clock, opened: Opened) -> Iterator[Callable[..., RunbookPanel]]:
    runners: list[TaskRunner] = []

    def make(console: Console) -> RunbookPanel:
        runner = TaskRunner()
        runners.append(runner)
        panel = RunbookPanel(
            console,
            runner,
            clock=clock,
            opener=lambda url: opened.append(url) or True,
            replan_delay_ms=0,
        )
        qtbot.addWidget(panel)
        panel.resize(520, 800)
        panel.show()
        return panel

    yield make
    for runner in runners:
        runner.wait(10_000)


def storm_of(console: Console, t0: datetime) -> Incident:
    """The demo storm's incident: the P1 on the orders database (root acme-db)."""
    return next(i for i in console.wall(t0) if i.root_service == "acme-db")


def idle(qtbot, panel: RunbookPanel) -> None:
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=10_000)


def shown(qtbot, panel: RunbookPanel, incident: Incident) -> RunbookPanel:
    panel.show_incident(incident)
    qtbot.waitUntil(
        lambda: panel.view is not None and panel.view.incident.id == incident.id, timeout=10_000
    )
    idle(qtbot, panel)
    # laid out: a click lands where the operator would click
    qtbot.waitUntil(lambda: all(card.isVisible() for card in panel.cards.values()))
    return panel


def test_the_storm_incident_opens_its_runbook_as_a_checklist(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    panel = make_panel(console)
    storm = storm_of(console, t0)
    with qtbot.waitSignal(panel.view_loaded, timeout=10_000) as loaded:
        panel.show_incident(storm)
    assert loaded.args[0].runbook.id == RUNBOOK
    assert panel.title_label.text() == "Database connections saturated"
    assert "PostgresConnectionsSaturated" in panel.reason_label.text()
    assert panel.progress_label.text() == "0 of 11 steps \u00b7 3 required still open"
    assert panel.hint_label.text() == "This problem is usually P2; the incident is P1."
    assert "Connection slots" in panel.summary_label.text()
    assert list(panel.cards) == STEPS
    cards = panel.cards
    assert [s for s, c in cards.items() if c.check is not None] == [
        "confirm-root",
        "connections-chart",
        "who-holds",
        "dashboard",
        "record",
    ]
    assert [s for s, c in cards.items() if not c.required_label.isHidden()] == [
        "confirm-root",
        "who-holds",
        "record",
    ]
    assert cards["confirm-root"].title_label.text().startswith("1. Confirm the database")
    assert cards["confirm-root"].text_label.textFormat() == Qt.TextFormat.MarkdownText
    assert not cards["confirm-root"].text_label.openExternalLinks()
    assert list(cards["leak-or-load"].buttons) == [
        "Yes: one application leaks connections",
        "No: load is spread across clients",
    ]
    assert cards["scale-pooler"].buttons["run"].isEnabled()
    assert cards["relief-validated"].watch_text == "waiting for an action to finish"
    dashboard = cards["dashboard"].buttons["open"]
    assert dashboard.toolTip() == (
        "https://grafana.example.com/d/postgres-overview?var-service=acme-db"
    )
    qtbot.mouseClick(dashboard, Qt.MouseButton.LeftButton)
    assert panel.missing_steps(storm) == [
        "Confirm the database is the root, not a symptom",
        "Find who holds the connections",
        "Record the cause and the fix in the incident",
    ]


def test_a_late_answer_for_another_incident_is_dropped(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    panel = make_panel(console)
    storm = storm_of(console, t0)
    other = next(i for i in console.wall(t0) if i.id != storm.id)
    panel.show_incident(storm)
    panel.show_incident(other)  # before the storm's view is back
    idle(qtbot, panel)
    assert panel.view is not None
    assert panel.view.incident.id == other.id
    assert panel.view.runbook.id != RUNBOOK
    assert panel.missing_steps(storm) == []  # the view shown is not the storm's


def test_a_tick_is_stored_with_who_and_when_and_survives_a_restart(
    qtbot, make_panel, console: Console, db_url: str, t0: datetime
) -> None:
    panel = shown(qtbot, make_panel(console), storm_of(console, t0))
    card = panel.cards["confirm-root"]
    assert card.check is not None
    with qtbot.waitSignal(panel.incident_changed, timeout=10_000) as changed:
        qtbot.mouseClick(card.check, Qt.MouseButton.LeftButton)
        # nothing flips before the console said so
        assert not card.check.isChecked()
        assert not card.check.isEnabled()
        assert card.state_label.text() == "saving\u2026"
    stored, words = changed.args
    assert words == "ticked: Confirm the database is the root, not a symptom"
    assert card.check.isChecked()
    assert card.state_label.text() == f"\u2713 alice {hm(t0)}"
    event = console.incident(stored.id).timeline[-1]
    assert (event.kind, event.actor, event.at) == (EventKind.RUNBOOK_STEP, "alice", t0)
    assert event.data["step"] == "confirm-root"
    idle(qtbot, panel)
    assert panel.progress_label.text().startswith("1 of 11 steps")
    # another desk (or tomorrow's console) over the same database sees the tick
    again = demo_console(db_url)
    try:
        second = shown(qtbot, make_panel(again), again.incident(stored.id))
        tick = second.cards["confirm-root"]
        assert tick.check is not None
        assert tick.check.isChecked()
        assert tick.state_label.text() == f"\u2713 alice {hm(t0)}"
    finally:
        again.shutdown()


def test_a_tick_on_a_changed_incident_is_refused_inline(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    storm = storm_of(console, t0)
    panel = shown(qtbot, make_panel(console), storm)
    console.acknowledge(storm.id, t0, "bob took it")  # another desk, unseen here
    card = panel.cards["who-holds"]
    assert card.check is not None
    with qtbot.waitSignal(panel.incident_reloaded, timeout=10_000) as reloaded:
        card.check.click()
    assert reloaded.args[0].version > storm.version
    assert "changed while you looked at it" in card.error_label.text()
    assert card.error_label.isVisible()
    assert not card.check.isChecked()
    assert card.check.isEnabled()
    assert all(e.kind is not EventKind.RUNBOOK_STEP for e in console.incident(storm.id).timeline)


def test_answering_the_decision_greys_the_steps_it_skips(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    panel = shown(qtbot, make_panel(console), storm_of(console, t0))
    decision = panel.cards["leak-or-load"]
    with qtbot.waitSignal(panel.incident_changed, timeout=10_000):
        qtbot.mouseClick(
            decision.buttons["No: load is spread across clients"], Qt.MouseButton.LeftButton
        )
    assert decision.buttons["No: load is spread across clients"].text().startswith("\u2713 No")
    assert decision.detail_label.text() == (
        f"answered: No: load is spread across clients \u2014 alice {hm(t0)}"
    )
    skipped = panel.cards["escalate-owner"]
    assert skipped.skipped
    assert "color:" in skipped.title_label.styleSheet()
    assert skipped.detail_label.text() == (
        "skipped: Is one application holding most connections (a leak)?:"
        " No: load is spread across clients"
    )
    assert not panel.cards["scale-pooler"].skipped
    # the other answer skips nothing: the step comes back
    with qtbot.waitSignal(panel.incident_changed, timeout=10_000):
        decision.buttons["Yes: one application leaks connections"].click()
    assert not skipped.skipped
    assert skipped.title_label.styleSheet() == ""


def test_the_confirmation_shows_the_exact_call_and_checks_the_inputs(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    panel = shown(qtbot, make_panel(console), storm_of(console, t0))
    qtbot.mouseClick(panel.cards["scale-pooler"].buttons["run"], Qt.MouseButton.LeftButton)
    dialog = panel.action_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.runnable, timeout=10_000)
    assert dialog.windowTitle() == "Run Scale out the connection pooler (relief)?"
    assert dialog.kind_label.text().startswith("scale \u00b7 aws")
    assert dialog.prepared is not None
    assert dialog.call_box.toPlainText() == dialog.prepared.confirmation()
    assert dialog.call_box.isReadOnly()
    assert dialog.call_box.toPlainText().startswith(
        "aws autoscaling.set_desired_capacity AutoScalingGroupName=acme-db-pgbouncer"
        " DesiredCapacity=4"
    )
    assert "simulated" in dialog.warning_label.text()
    assert "changes the estate" in dialog.warning_label.text()
    dialog.set_input("pooler_nodes", "x; rm -rf ~")
    assert not dialog.run_button.isEnabled()
    assert "does not match its pattern" in dialog.input_errors["pooler_nodes"].text()
    assert "rm -rf" not in dialog.call_box.toPlainText()
    idle(qtbot, panel)
    assert not dialog.run_button.isEnabled()
    dialog.set_input("pooler_nodes", "3")
    assert not dialog.run_button.isEnabled()  # until the call for 3 is planned
    qtbot.waitUntil(lambda: dialog.runnable, timeout=10_000)
    assert "DesiredCapacity=3" in dialog.call_box.toPlainText()
    assert not dialog.input_errors["pooler_nodes"].isVisible()
    dialog.close()


def test_run_shows_the_result_and_a_double_click_runs_once(
    qtbot, make_panel, console: Console, clock: Clock, t0: datetime
) -> None:
    storm = storm_of(console, t0)
    panel = shown(qtbot, make_panel(console), storm)
    clock.now = t0 + timedelta(minutes=1)
    dialog = panel.open_action("scale-pooler")
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.runnable, timeout=10_000)
    with qtbot.waitSignal(panel.incident_changed, timeout=10_000) as changed:
        qtbot.mouseDClick(dialog.run_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert dialog.status_label.text() == "running\u2026"
        assert not dialog.run()
        assert not dialog.run_button.isEnabled()
    assert changed.args[1] == "ran Scale out the connection pooler (relief): succeeded"
    run = dialog.finished_run
    assert run is not None
    assert run.status is RunStatus.SUCCEEDED
    assert dialog.status_label.text().startswith(
        "succeeded: simulated on the demo estate: acme-db: storm ended early"
    )
    assert dialog.output_toggle.isVisible()
    assert not dialog.output_box.isVisible()
    dialog.output_toggle.click()
    assert "set_desired_capacity" in dialog.output_box.toPlainText()
    assert len(console.action_runs(storm.id)) == 1
    idle(qtbot, panel)
    detail = panel.cards["scale-pooler"].detail_label.text()
    assert detail.startswith("last run succeeded: simulated on the demo estate")
    assert detail.endswith(f"alice {hm(clock.now)}")
    # the validate step watches the alert the runbook matched, counting down on the clock
    watch = panel.cards["relief-validated"]
    assert watch.watch_text.startswith("watching: 10m 00s left")
    clock.now = t0 + timedelta(minutes=6)
    panel.refresh_watches()
    assert watch.watch_text.startswith("watching: 5m 00s left")
    console.poll_once(clock.now)  # the remediated storm is gone from the demo estate
    panel.refresh_watches()
    panel.refresh_watches()  # the third refresh while watching reads the view again
    qtbot.waitUntil(lambda: watch.watch_text.startswith("cleared"), timeout=10_000)
    assert watch.mark_label.text() == "\u2714"
    dialog.close()


def test_a_refused_plan_says_why_and_offers_no_run(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    panel = shown(qtbot, make_panel(console), storm_of(console, t0))
    dialog = panel.open_action("pool-size")
    assert dialog is not None
    qtbot.waitUntil(dialog.refused_label.isVisible, timeout=10_000)
    assert "needs a L2 desk" in dialog.refused_label.text()
    assert dialog.run_button.isHidden()
    assert not dialog.runnable
    assert not dialog.run()
    dialog.close()


def test_a_query_step_charts_the_demo_metric(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    panel = shown(qtbot, make_panel(console), storm_of(console, t0))
    toggle = panel.cards["connections-chart"].buttons["chart"]
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    chart = panel.charts["connections-chart"]
    qtbot.waitUntil(lambda: chart.data is not None, timeout=10_000)
    assert chart.data is not None
    assert chart.data.error is None
    assert chart.data.series
    assert chart.plot is not None
    assert chart.plot.isVisible()
    assert not chart.error_label.isVisible()
    assert "pg_stat_activity_count" in chart.query_label.text()
    assert toggle.text() == "Hide chart"
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert not chart.isVisible()


def test_without_a_prometheus_source_the_chart_says_why(
    qtbot, make_panel, console: Console, db_url: str, t0: datetime
) -> None:
    blind = scripted_console(db_url, [])
    try:
        panel = shown(qtbot, make_panel(blind), storm_of(console, t0))
        panel.show_chart("connections-chart", True)
        chart = panel.charts["connections-chart"]
        qtbot.waitUntil(lambda: chart.data is not None, timeout=10_000)
        assert chart.error_label.isVisible()
        assert chart.error_label.text() == ("No chart: no Prometheus source is configured to ask")
        assert chart.plot is None
        assert 'service="acme-db"' in chart.query_label.text()
    finally:
        blind.shutdown()


def test_links_other_than_web_links_are_shown_not_opened(
    qtbot, make_panel, tmp_path: Path, clock: Clock, opened: Opened, t0: datetime
) -> None:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "db.yaml").write_text(SITE_RUNBOOK)
    config = replace(Config.demo(), runbook_dirs=(folder,))
    site = clocked_console(f"sqlite:///{tmp_path / 'site.db'}", clock, config)
    try:
        site.poll_once(t0)
        panel = shown(qtbot, make_panel(site), storm_of(site, t0))
        text = panel.cards["read"].text_label
        with qtbot.waitSignal(panel.link_refused) as refused:
            text.linkActivated.emit("javascript:alert(1)")
        assert refused.args[1] == "only http and https links open (javascript:)"
        assert opened == []
        assert panel.message_label.isVisible()
        assert "Not opened: javascript:alert(1)" in panel.message_label.text()
        with qtbot.waitSignal(panel.link_opened):
            text.linkActivated.emit("https://wiki.example/db")
        qtbot.mouseClick(panel.cards["wiki"].buttons["open"], Qt.MouseButton.LeftButton)
        assert [url.toString() for url in opened] == [
            "https://wiki.example/db",
            "https://wiki.example/db/acme-db",
        ]
        # the alerts' links sit under the checklist, through the same check
        bad: Alert = replace(
            make_alert(alertname="Db", starts_at=t0),
            annotations={"runbook_url": "javascript:alert(2)"},
        )
        panel.set_alerts([bad])
        links = panel.alert_links.links
        assert "not opened" in links.item(0).text()
        with qtbot.waitSignal(panel.link_refused):
            links.itemActivated.emit(links.item(0))
        assert len(opened) == 2
    finally:
        site.shutdown()


def test_the_side_panel_tab_counts_steps_and_escalation_names_the_missing_ones(
    qtbot, make_window, console: Console, t0: datetime
) -> None:
    prompts = Prompts("pool exhausted, DBA needed")
    window = make_window(console, prompt=prompts)
    window.table.select_incident(storm_of(console, t0).id)
    settle(qtbot, window)
    panel = panel_of(window)
    assert panel.tabs.tabText(2) == "Runbook (0/11)"
    card = panel.runbook.cards["confirm-root"]
    assert card.check is not None
    card.check.click()
    settle(qtbot, window)
    assert panel.tabs.tabText(2) == "Runbook (1/11)"
    assert panel.timeline_rows()[-1][1] == "runbook step"
    assert window.status.message_label.text() == (
        "INC-000001 ticked: Confirm the database is the root, not a symptom"
    )
    qtbot.mouseClick(panel.buttons["escalate"], Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    missing = "Find who holds the connections, Record the cause and the fix in the incident"
    assert prompts.asked[0][1] == (
        f"Why escalate INC-000001 to L2? Required runbook steps not done: {missing}"
    )
    assert panel.timeline_rows()[-1][3] == (
        f"pool exhausted, DBA needed (required runbook steps not done: {missing})"
    )


def test_no_action_runs_on_a_closed_incident(
    qtbot, make_panel, console: Console, t0: datetime
) -> None:
    storm = storm_of(console, t0)
    console.mark_false_positive(storm.id, t0, "drill")
    panel = shown(qtbot, make_panel(console), console.incident(storm.id))
    run = panel.cards["scale-pooler"].buttons["run"]
    assert not run.isEnabled()
    assert run.toolTip() == "INC-000001 is false positive: no actions on it"


def test_a_chart_draws_each_series_with_a_legend_and_reads_out_a_point(qtbot, t0: datetime) -> None:
    points = tuple((t0 + timedelta(minutes=i), 50.0 + i) for i in range(60))
    series = tuple(Series({"instance": f"db-{n}"}, points) for n in range(MAX_SERIES + 2))
    data = ChartData(
        series, t0, t0 + timedelta(hours=1), t0 + timedelta(minutes=20), "up", "%", 80.0
    )
    chart = RunbookChart()
    qtbot.addWidget(chart)
    chart.resize(500, 320)
    chart.show()
    chart.set_data(data)
    items = chart.plot.plotItem.listDataItems()
    assert len(items) == MAX_SERIES
    assert chart.plot.plotItem.legend.isVisible()
    assert chart.status_label.text() == "2 more series not drawn (first 8 shown)"
    assert chart.plot.getAxis("left").labelText == "%"
    view = chart.plot.plotItem.vb
    chart.plot.scene().sigMouseMoved.emit(view.sceneBoundingRect().center())
    assert chart._hover.toPlainText() == hover_words(t0 + timedelta(minutes=30), 80.0, "%")
