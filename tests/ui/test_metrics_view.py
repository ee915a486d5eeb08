"""The Metrics view over the hand-built history (tests/helpers/metrics_history.py)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.console import Console
from app.domain.incident import Incident
from app.domain.service_metrics import Bucket, Compliance, GroupCompliance, MetricsReport
from app.domain.severity import Severity
from app.store import Database
from app.store.incidents import IncidentRepository
from tests.helpers import metrics_history as h
from tests.helpers.consoles import scripted_console
from ui.metrics_charts import _shorten, bucket_words, count_step, duration_unit
from ui.metrics_csv import HEADER, write_series_csv
from ui.metrics_periods import PERIODS
from ui.metrics_view import CUSTOMER_BARS, EMPTY_WORDS, MetricsView
from ui.workers.actions import TaskRunner

# "this month" at this clock is November 2026: A..L, not X0 (28 Oct) nor XO (28 Sep)
LATE_NOVEMBER = datetime(2026, 11, 30, 9, tzinfo=UTC)


@pytest.fixture
def history_console(db_url: str) -> Iterator[Console]:
    database = Database(db_url)
    h.build(database)
    database.dispose()
    console = scripted_console(db_url, [])
    yield console
    console.shutdown()


@pytest.fixture
def make_view(qtbot, history_console: Console) -> Iterator[Callable[..., MetricsView]]:
    runners: list[TaskRunner] = []

    def make(
        now: datetime = LATE_NOVEMBER, choose: Callable[..., Path | None] | None = None
    ) -> MetricsView:
        runner = TaskRunner()
        runners.append(runner)
        view = MetricsView(
            history_console, runner, clock=lambda: now, choose_path=choose or (lambda *_: None)
        )
        qtbot.addWidget(view)
        view.resize(1400, 850)
        view.show()
        return view

    yield make
    for runner in runners:
        runner.wait(10_000)


def choose(box, data: object) -> None:  # type: ignore[no-untyped-def]
    index = box.findData(data)
    assert index >= 0, data
    box.setCurrentIndex(index)


def loaded(qtbot, view: MetricsView, change: Callable[[], object]) -> MetricsReport:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.report_loaded, timeout=10_000) as blocker:
        change()
    report = blocker.args[0]
    assert isinstance(report, MetricsReport)
    return report


def test_the_view_loads_the_report_off_the_gui_thread(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    choose(view.period_box, "this-month")
    report = loaded(qtbot, view, lambda: choose(view.bucket_box, "week"))
    assert report.bucket is Bucket.WEEK
    assert report.scope.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert report.period.incidents == 12  # A..L, E the false positive
    assert report.period.mttd == h.PERIOD_MTTD
    assert report.period.mtta == h.PERIOD_MTTA
    assert report.period.mttr == h.PERIOD_MTTR
    # weeks: [1 Nov, 2 Nov) is cut to the period, then the two hand-worked weeks
    assert (report.series[1].mttd, report.series[1].mtta, report.series[1].mttr) == h.WEEK_1
    assert (report.series[2].mttd, report.series[2].mtta, report.series[2].mttr) == h.WEEK_2
    assert report.top_recurring == h.TOP_RECURRING
    assert view.stack.currentIndex() == 1
    summary = view.summary.text()
    assert summary.startswith("12\u00a0incidents\u00a0(1\u00a0false\u00a0positives) \u00b7 ")
    # a line wraps only between figures: the only breaking spaces are around the dots
    assert summary.count(" ") == 2 * summary.count("\u00b7")
    assert "alerts\u00a0per\u00a0incident\u00a0" in summary
    assert view.export_button.isEnabled()
    table = view.recurring_table
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == [
        "HostDown",
        "Heartbeat",
        "LatencyHigh",
    ]


def test_the_filters_change_the_query(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    choose(view.period_box, "this-month")
    report = loaded(qtbot, view, lambda: choose(view.customer_box, "acme"))
    assert report.scope.customer == "acme"  # acme is not in the demo catalog: met in history
    assert report.period.incidents == 4  # A, B, G, J
    report = loaded(qtbot, view, lambda: choose(view.severity_box, "P1"))
    assert (report.scope.customer, report.scope.severity) == ("acme", Severity.P1)
    assert report.period.incidents == 1  # A
    report = loaded(qtbot, view, lambda: choose(view.period_box, "last-month"))
    assert (report.scope.start, report.scope.end) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert report.period.incidents == 0  # X0 is a P2


def test_an_empty_period_says_so_instead_of_charts(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view(now=datetime(2027, 6, 1, tzinfo=UTC))
    report = loaded(qtbot, view, lambda: choose(view.period_box, "last-7d"))
    assert report.period.incidents == 0
    assert len(report.series) == 7  # the empty days are kept
    assert view.stack.currentIndex() == 0
    assert view.empty_label.text() == EMPTY_WORDS
    assert view.summary.text() == EMPTY_WORDS
    # and back to a period with incidents: the charts return
    report = loaded(qtbot, view, lambda: choose(view.period_box, "all"))
    assert report.period.incidents == 14
    assert view.stack.currentIndex() == 1


def test_all_time_with_no_history_at_all(qtbot, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    console = scripted_console(f"sqlite:///{tmp_path / 'empty.db'}", [])
    runner = TaskRunner()
    try:
        view = MetricsView(console, runner, clock=lambda: LATE_NOVEMBER)
        qtbot.addWidget(view)
        view.show()
        report = loaded(qtbot, view, lambda: choose(view.period_box, "all"))
        assert report.series == ()
        assert view.stack.currentIndex() == 0
        assert not view.export_button.isEnabled()
    finally:
        runner.wait(10_000)
        console.shutdown()


def test_the_csv_has_a_row_per_bucket_with_every_figure(qtbot, make_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    choose(view.period_box, "this-month")
    report = loaded(qtbot, view, lambda: choose(view.bucket_box, "week"))
    out = tmp_path / "metrics.csv"
    assert write_series_csv(out, report) == len(report.series) == 6
    with out.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0].keys()) == HEADER
    assert [row["bucket_start"][:10] for row in rows] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",  # cut to the period's end, tomorrow
    ]
    week_1 = rows[1]
    assert week_1["bucket_end"] == "2026-11-09T00:00:00+00:00"
    assert (week_1["incidents"], week_1["false_positives"], week_1["alerts"]) == ("4", "0", "7")
    assert (week_1["mttd_count"], week_1["mttd_mean"], week_1["mttd_median"]) == ("4", "67.5", "60")
    assert (week_1["mtta_p90"], week_1["mttr_median"], week_1["mttr_p90"]) == (
        "13320",
        "22500",
        "71280",
    )
    assert (week_1["incidents_P1"], week_1["incidents_P2"], week_1["incidents_P3"]) == (
        "1",
        "2",
        "1",
    )
    week_2 = rows[2]
    assert (week_2["false_positives"], week_2["false_positive_pct"]) == ("1", "12.5")
    assert week_2["mttd_mean"] == "174.286"  # 1220 / 7
    empty = rows[4]
    assert (empty["incidents"], empty["mttd_mean"], empty["response_pct"]) == ("0", "", "")


def test_export_asks_for_a_file_and_writes_on_the_runner(qtbot, make_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "chosen.csv"
    view = make_view(choose=lambda _parent, suggested: out)
    loaded(qtbot, view, view.refresh)
    with qtbot.waitSignal(view.csv_written, timeout=10_000) as blocker:
        view.export_button.click()
    assert blocker.args == [str(out), len(view.report.series)]
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(HEADER)
    assert str(out) in view.status_label.text()
    assert not list(tmp_path.glob(".chosen.csv.*"))  # no scratch file left


def test_hovering_a_bucket_reads_its_values(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    choose(view.period_box, "this-month")
    report = loaded(qtbot, view, lambda: choose(view.bucket_box, "week"))
    week_1 = report.series[1]
    assert week_1.start is not None
    assert week_1.end is not None
    middle = (week_1.start.timestamp() + week_1.end.timestamp()) / 2
    words = view.duration_charts["mtta"].hover_at(middle + 3600)
    # MTTA over the period reaches 18000 s: the chart is in hours
    assert words.splitlines() == [
        "2 Nov \u2013 8 Nov 2026",
        "median 0.4 h",
        "p90 3.7 h",
        "mean 1.5 h",
    ]
    words = view.severity_chart.hover_at(middle)
    assert words.splitlines()[1] == "P1 1  P2 2  P3 1  P4 0"
    words = view.customer_chart.hover_at(1.1)  # acme, after the incidents that named none
    assert words.splitlines()[0] == "acme"


def test_periods_are_whole_utc_days() -> None:
    now = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
    bounds = {p.key: p.bounds(now) for p in PERIODS}
    assert bounds["last-7d"] == (
        datetime(2026, 3, 4, tzinfo=UTC),
        datetime(2026, 3, 11, tzinfo=UTC),
    )
    assert bounds["this-month"][0] == datetime(2026, 3, 1, tzinfo=UTC)
    assert bounds["last-month"] == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert bounds["all"] == (None, None)
    january = datetime(2026, 1, 5, tzinfo=UTC)
    assert PERIODS[4].bounds(january)[0] == datetime(2025, 12, 1, tzinfo=UTC)


def test_units_and_bucket_words() -> None:
    assert duration_unit([30.0, None]) == (1.0, "s")
    assert duration_unit([600.0]) == (60.0, "min")
    assert duration_unit([18000.0]) == (3600.0, "h")
    assert duration_unit([None]) == (1.0, "s")
    day = datetime(2026, 11, 2, tzinfo=UTC)
    assert bucket_words(day, datetime(2026, 11, 3, tzinfo=UTC)) == "Mon 2 Nov 2026"


def test_view_metrics_opens_from_the_operator_window(qtbot, make_window, history_console) -> None:  # type: ignore[no-untyped-def]
    window = make_window(history_console)
    menus = [action.text() for action in window.menuBar().actions()]
    assert "&View" in menus
    with qtbot.waitSignal(window.runner.action_finished, timeout=10_000):
        metrics = window.show_metrics()
    qtbot.waitUntil(lambda: metrics.view.report is not None, timeout=10_000)
    assert metrics.isVisible()
    metrics.close()  # raising a visible window warns offscreen: reopen a closed one
    assert window.show_metrics() is metrics  # kept, not built again
    assert metrics.isVisible()


def test_an_open_view_computes_again_by_itself_while_shown(  # type: ignore[no-untyped-def]
    qtbot, history_console: Console, db_url: str
) -> None:
    runner = TaskRunner()
    view = MetricsView(
        history_console,
        runner,
        clock=lambda: LATE_NOVEMBER,
        refresh_every=timedelta(milliseconds=100),
    )
    qtbot.addWidget(view)
    view.resize(1400, 850)
    view.show()
    report = loaded(qtbot, view, lambda: choose(view.period_box, "this-month"))
    assert report.period.incidents == 12
    database = Database(db_url)
    with database.write() as session:  # an incident arrives; nobody touches the view
        detected = LATE_NOVEMBER - timedelta(hours=1)
        IncidentRepository(session).add(
            Incident.detect(
                title="a new one",
                customer="acme",
                services=("svc",),
                severity=Severity.P2,
                started_at=detected - timedelta(minutes=1),
                detected_at=detected,
                group_key="acme|new",
                policy=h.CONTRACT,
            ),
            detected,
        )
    database.dispose()
    qtbot.waitUntil(lambda: view.report.period.incidents == 13, timeout=10_000)
    assert view.status_label.text() == ""  # refreshed quietly, no "computing…"
    view.hide()
    qtbot.wait(150)  # a refresh already running may still land
    with qtbot.assertNotEmitted(view.report_loaded, wait=400):
        pass
    runner.wait(10_000)


def test_with_many_customers_the_chart_shows_the_lowest(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    report = loaded(qtbot, view, lambda: choose(view.period_box, "this-month"))
    many = tuple(
        GroupCompliance(
            f"customer-{n:02d}",
            10,
            Compliance(met=10 - n % 7, counted=10),
            Compliance(met=10, counted=10) if n != 5 else Compliance(met=0, counted=0),
        )
        for n in range(30)
    )
    view.show_report(replace(report, sla_by_customer=many))
    chart = view.customer_chart
    names = [group.name for group in chart._groups]
    assert len(names) == CUSTOMER_BARS
    # 40 % (n % 7 == 6) first, then 50 %, ...; ties by name
    assert names[:4] == ["customer-06", "customer-13", "customer-20", "customer-27"]
    assert chart.title == "SLA compliance by customer: the 8 lowest of 30"
    view.show_report(report)  # three customers fit: all of them, by name
    assert [group.name for group in chart._groups] == ["(none)", "acme", "globex", "initech"]
    assert chart.title == "SLA compliance by customer"


def test_count_axes_step_in_whole_nice_numbers() -> None:
    found = {h: count_step(h) for h in (0, 2, 5, 6, 11, 26, 101, 480, 2600)}
    assert found == {0: 1, 2: 1, 5: 1, 6: 2, 11: 5, 26: 10, 101: 50, 480: 100, 2600: 1000}


def test_group_names_are_cut_in_the_middle() -> None:
    assert _shorten("customer-with-a-long-name-06", 8) == "cust\u2026-06"
    assert _shorten("acme", 8) == "acme"
