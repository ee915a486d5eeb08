"""The service metrics in SQL on SQLite, against values worked out by hand.

The history and the hand-worked values are in tests/helpers/metrics_history.py;
tests/integration/test_metrics_postgres.py runs the same on PostgreSQL and compares.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

import app.store.metric_ranks as metric_ranks
from app.domain.incident import Incident
from app.domain.service_metrics import (
    Bucket,
    Compliance,
    Durations,
    Figures,
    MetricsScope,
    RecurringPair,
)
from app.domain.severity import Severity
from app.store import Database
from app.store.incidents import IncidentRepository
from app.store.service_metrics import (
    figures_series,
    metrics_report,
    period_figures,
    sla_by_customer,
    sla_by_severity,
    top_recurring,
)
from app.store.tables import INCIDENTS
from tests.helpers import metrics_history as h

PERIOD = MetricsScope(h.START, h.END)


@pytest.fixture
def history(db: Database) -> dict[str, int]:
    return h.build(db)


def figures(db: Database, scope: MetricsScope = PERIOD, now: datetime = h.NOW) -> Figures:
    with db.read() as session:
        return period_figures(session, scope, now)


def test_the_period_s_figures_are_the_hand_worked_ones(db: Database, history: Any) -> None:
    found = figures(db)
    assert (found.start, found.end) == (h.START, h.END)
    assert found.incidents == 12
    assert found.false_positives == 1
    assert found.real_incidents == 11
    assert found.alerts == 19  # false positive E's five included
    assert found.mttd == h.PERIOD_MTTD
    assert found.mtta == h.PERIOD_MTTA
    assert found.mttr == h.PERIOD_MTTR
    assert found.response == h.PERIOD_RESPONSE
    assert found.resolve == h.PERIOD_RESOLVE
    assert found.recurring == 2  # A (recurrence of X0, 6 days) and C (reopened)
    assert dict(found.by_severity) == {
        Severity.P1: 3,
        Severity.P2: 3,
        Severity.P3: 3,
        Severity.P4: 2,
    }
    assert found.recurrence_pct == pytest.approx(200 / 11)
    assert found.false_positive_pct == pytest.approx(100 / 12)
    assert found.alerts_per_incident == pytest.approx(19 / 12)
    assert found.response.pct == pytest.approx(500 / 9)
    assert found.resolve.pct == pytest.approx(400 / 7)


def test_ties_interpolation_and_exact_ranks(db: Database, history: Any) -> None:
    """MTTD has three 30 s values around its middle; MTTA interpolates 600 and 1200."""
    found = figures(db)
    assert found.mttd.median == 60.0  # rank 5 of 11: no interpolation
    assert found.mtta.median == 900.0  # h = 3.5
    assert found.mtta.p90 == 7080.0  # h = 6.3: 2400 + 0.3 x 15600, exactly
    assert found.mttr.p90 == 61200.0  # h = 4.5


def test_weekly_buckets(db: Database, history: Any) -> None:
    with db.read() as session:
        weeks = figures_series(session, PERIOD, Bucket.WEEK, h.NOW)
    assert [(w.start, w.end) for w in weeks] == [
        (h.START, h.START + timedelta(days=7)),
        (h.START + timedelta(days=7), h.END),
    ]
    assert [w.incidents for w in weeks] == [4, 8]
    assert (weeks[0].mttd, weeks[0].mtta, weeks[0].mttr) == h.WEEK_1
    assert (weeks[1].mttd, weeks[1].mtta, weeks[1].mttr) == h.WEEK_2
    assert weeks[0].response == Compliance(3, 4)  # A C D met, B breached
    assert weeks[1].response == Compliance(2, 5)  # G J met; F I L missed; K not counted
    assert weeks[0].recurring == 2
    assert weeks[1].recurring == 0  # E is a false positive, I's earlier incident too old
    assert weeks[1].false_positive_pct == 12.5


def test_daily_buckets_keep_the_empty_days(db: Database, history: Any) -> None:
    with db.read() as session:
        days = figures_series(session, PERIOD, Bucket.DAY, h.NOW)
    assert len(days) == 14
    assert [d.incidents for d in days] == [0, 2, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 2, 1]
    monday = days[0]
    assert monday.mttd == Durations()
    assert monday.response.pct is None
    assert monday.recurrence_pct is None
    assert monday.alerts_per_incident is None
    third = days[1]  # A and B
    assert third.mttd == Durations(2, 60.0, 60.0, 84.0)
    assert third.mtta == Durations(2, 1500.0, 1500.0, 2220.0)
    assert third.response == Compliance(1, 2)


def test_monthly_buckets_over_all_history(db: Database, history: Any) -> None:
    with db.read() as session:
        months = figures_series(session, MetricsScope(), Bucket.MONTH, h.NOW)
    assert [(m.start, m.end) for m in months] == [
        (datetime(2026, 9, 28, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)),
        (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
        (
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 11, 15, 20, 0, 0, 1000, tzinfo=UTC),  # G, the last one, and 1 ms
        ),
    ]
    assert [m.incidents for m in months] == [1, 1, 12]
    assert months[1].mtta == Durations(1, 300.0, 300.0, 300.0)
    assert months[2].mttd == h.PERIOD_MTTD


def test_all_history(db: Database, history: Any) -> None:
    found = figures(db, MetricsScope())
    assert (found.start, found.end) == (None, None)
    assert found.incidents == 14
    # X0 and XO add 60 s, 300 s and 3600 s to the period's values
    assert found.mttd == Durations(13, 1610 / 13, 60.0, 280.0)  # h = 10.8 between 200 and 300
    assert found.mtta == Durations(10, 25900 / 10, 600.0, 3960.0)
    assert found.mttr == Durations(8, 149800 / 8, 5400.0, 51120.0)
    assert found.response == Compliance(7, 11)
    assert found.resolve == Compliance(6, 9)


def test_a_customer_and_a_severity(db: Database, history: Any) -> None:
    acme = figures(db, MetricsScope(h.START, h.END, customer="acme"))
    assert acme.incidents == 4  # A B G J
    assert acme.mttd == Durations(4, 95.0, 75.0, 167.0)  # 30 60 90 200
    assert acme.mttr == Durations(2, 21600.0, 21600.0, 33120.0)  # 7200 36000
    assert (acme.response, acme.resolve) == (Compliance(3, 4), Compliance(1, 2))
    assert acme.recurring == 1
    p1 = figures(db, MetricsScope(h.START, h.END, severity=Severity.P1))
    assert (p1.incidents, p1.false_positives) == (4, 1)  # A K L, and E
    assert p1.mtta == Durations(2, 900.0, 900.0, 1140.0)  # 600 1200
    assert p1.alerts == 10
    both = figures(db, MetricsScope(h.START, h.END, customer="initech", severity=Severity.P1))
    assert (both.incidents, both.false_positive_pct) == (2, 50.0)  # E and L
    nobody = figures(db, MetricsScope(h.START, h.END, customer="umbrella"))
    assert nobody == Figures(h.START, h.END)


def test_a_period_cut_inside_days(db: Database, history: Any) -> None:
    scope = MetricsScope(
        datetime(2026, 11, 3, 11, tzinfo=UTC), datetime(2026, 11, 4, 12, tzinfo=UTC)
    )
    found = figures(db, scope)
    assert found.incidents == 2  # B (3 Nov 12:00) and C (4 Nov 08:00), not A (3 Nov 10:00)
    assert found.mttd == Durations(2, 60.0, 60.0, 84.0)
    with db.read() as session:
        days = figures_series(session, scope, Bucket.DAY, h.NOW)
        weeks = figures_series(session, scope, Bucket.WEEK, h.NOW)
    assert [(d.start, d.end, d.incidents) for d in days] == [
        (scope.start, datetime(2026, 11, 4, tzinfo=UTC), 1),
        (datetime(2026, 11, 4, tzinfo=UTC), scope.end, 1),
    ]
    assert weeks == [found]  # one bucket, the whole period


def test_sla_by_customer_and_by_severity(db: Database, history: Any) -> None:
    with db.read() as session:
        customers = sla_by_customer(session, PERIOD, h.NOW)
        severities = sla_by_severity(session, PERIOD, h.NOW)
    assert tuple(customers) == h.BY_CUSTOMER
    assert tuple(severities) == h.BY_SEVERITY
    assert customers[0].response.pct is None  # H: no contract, no clock


def test_top_recurring_pairs(db: Database, history: Any) -> None:
    with db.read() as session:
        assert tuple(top_recurring(session, PERIOD)) == h.TOP_RECURRING
        assert top_recurring(session, PERIOD, limit=1) == [h.TOP_RECURRING[0]]
        assert top_recurring(session, MetricsScope(h.START, h.END, customer="globex")) == [
            RecurringPair(None, "Heartbeat", 1),  # C only: a tie, no service first
            RecurringPair("db", "HostDown", 1),
        ]


def test_the_report_holds_it_all(db: Database, history: Any) -> None:
    with db.read() as session:
        report = metrics_report(session, PERIOD, Bucket.WEEK, h.NOW)
        assert report.period == period_figures(session, PERIOD, h.NOW)
        assert report.series == tuple(figures_series(session, PERIOD, Bucket.WEEK, h.NOW))
    assert report.sla_by_customer == h.BY_CUSTOMER
    assert report.sla_by_severity == h.BY_SEVERITY
    assert report.top_recurring == h.TOP_RECURRING


@pytest.mark.parametrize("scope", [MetricsScope(h.END, h.END + timedelta(days=30)), MetricsScope()])
def test_an_empty_period_is_none_everywhere(db: Database, scope: MetricsScope) -> None:
    if scope.start is not None:
        h.build(db)  # a history, but nothing in this period
    with db.read() as session:
        report = metrics_report(session, scope, Bucket.DAY, h.NOW)
    period = report.period
    assert period == Figures(scope.start, scope.end)
    assert period.mttd == Durations(0, None, None, None)
    assert (period.response.pct, period.resolve.pct) == (None, None)
    assert (period.recurrence_pct, period.false_positive_pct) == (None, None)
    assert period.alerts_per_incident is None
    assert all(f.incidents == 0 for f in report.series)
    assert len(report.series) == (30 if scope.start is not None else 0)
    assert report.sla_by_customer == ()
    assert [g.response.pct for g in report.sla_by_severity] == [None] * 4
    assert report.top_recurring == ()


def test_a_running_clock_counts_once_its_deadline_passed_unless_it_waits(db: Database) -> None:
    detected = h.START

    def detect() -> Incident:
        return Incident.detect(
            title="open",
            customer="acme",
            services=("svc",),
            severity=Severity.P1,
            started_at=detected,
            detected_at=detected,
            group_key="g",
            policy=h.CONTRACT,
        )

    fresh = detect()
    waiting = detect().pause("alice", detected + timedelta(minutes=5), "customer")
    with db.write() as session:
        repository = IncidentRepository(session)
        repository.add(fresh, detected)
        repository.add(waiting, detected)
    scope = MetricsScope(detected, detected + timedelta(days=1))

    def at(**after: int) -> datetime:
        return detected + timedelta(**after)

    before_due = figures(db, scope, at(minutes=14))
    assert (before_due.response, before_due.resolve) == (Compliance(), Compliance())
    due = figures(db, scope, at(minutes=15))  # as the wall says: breached at the deadline
    assert (due.response, due.resolve) == (Compliance(0, 1), Compliance())
    late = figures(db, scope, at(hours=5))
    assert (late.response, late.resolve) == (Compliance(0, 1), Compliance(0, 1))
    assert late.mtta == Durations()  # nobody acknowledged


def test_both_walks_give_the_same_values(
    db: Database, history: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A span walks merged day runs or the all-days index: the same ranks either way."""

    def report() -> Any:
        with db.read() as session:
            return metrics_report(session, MetricsScope(), Bucket.WEEK, h.NOW)

    monkeypatch.setattr(metric_ranks, "MERGE_DAYS", 0)
    along_all_days = report()
    monkeypatch.setattr(metric_ranks, "MERGE_DAYS", 10_000)
    along_day_runs = report()
    assert along_all_days == along_day_runs
    assert along_all_days.period.mttd == Durations(13, 1610 / 13, 60.0, 280.0)


def test_the_store_keeps_what_the_clocks_recorded(db: Database, history: dict[str, int]) -> None:
    columns = INCIDENTS.c
    query = select(columns.id, columns.response_met, columns.resolve_met, columns.reopened)
    with db.read() as session:
        stored = {
            row.id: (row.response_met, row.resolve_met, row.reopened)
            for row in session.execute(query)
        }
    by_key = {key: stored[incident_id] for key, incident_id in history.items()}
    assert by_key["A"] == (True, True, False)
    assert by_key["B"] == (False, False, False)
    assert by_key["C"] == (True, True, True)
    assert by_key["D"] == (True, True, False)  # met thanks to the wait pushing the deadlines
    assert by_key["F"] == (None, None, False)
    assert by_key["H"] == (None, None, False)  # no contract
    assert by_key["I"] == (None, True, False)


# ------------------------------------------------------------------ query plans, on SQLite


@pytest.fixture
def statements() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("scope", "bucket"),
    [
        (PERIOD, Bucket.DAY),
        (MetricsScope(), Bucket.WEEK),
        (MetricsScope(h.START, h.END, customer="acme", severity=Severity.P1), Bucket.DAY),
    ],
)
def test_nothing_is_sorted_and_the_metric_indexes_are_read(
    db: Database,
    history: Any,
    statements: list[tuple[str, Any]],
    scope: MetricsScope,
    bucket: Bucket,
) -> None:
    """SQLite sorts only the small per-day groups; rows are read along the metric indexes."""
    statements.clear()
    with db.read() as session:
        metrics_report(session, scope, bucket, h.NOW)
    selects = [(s, p) for s, p in statements if s.startswith("SELECT")]
    plans: list[str] = []
    with db.engine.connect() as connection:
        for statement, parameters in selects:
            found = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append("\n".join(row[3] for row in found))
    selects_text = [statement for statement, _ in selects]
    assert len(plans) >= 4  # counts, customers, recurring pairs, walks
    for statement, plan in zip(selects_text, plans, strict=True):
        if statement.startswith("SELECT (SELECT min("):
            continue  # the first and last detection: an end of ix_incidents_detected_at
        assert "SCAN incidents\n" not in plan + "\n"  # never the table's rows
        assert "ix_incidents_detected_at" not in plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan or "alerts" in plan  # the top pairs' sort
        for line in plan.splitlines():
            if (
                "incidents" in line
                and ("SCAN" in line or "SEARCH" in line)
                and "earlier" not in line
            ):
                assert (
                    "COVERING INDEX ix_incidents_" in line
                    or "ix_incidents_customer" in line
                    or "INDEX ix_incidents_state (state=?)" in line  # the few active ones
                ), plan
