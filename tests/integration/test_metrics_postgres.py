"""The service metrics on PostgreSQL: the hand-worked values, and exactly SQLite's answers.

The same history (tests/helpers/metrics_history.py) goes into a fresh SQLite file and a
fresh PostgreSQL database; every report over every scope and bucket must be equal, float
for float, and equal to the values worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.service_metrics import Bucket, MetricsReport, MetricsScope
from app.domain.severity import Severity
from app.store import Database
from app.store.metric_sql import DURATIONS, FIGURES, ScopeShape, counted, scope_params, scope_terms
from app.store.service_metrics import metrics_report
from tests.helpers import metrics_history as h

pytestmark = pytest.mark.integration

SCOPES = [
    MetricsScope(h.START, h.END),
    MetricsScope(),
    MetricsScope(h.START, h.END, customer="acme"),
    MetricsScope(h.START, h.END, severity=Severity.P1),
    MetricsScope(h.START, h.END, customer="initech", severity=Severity.P1),
    MetricsScope(datetime(2026, 11, 3, 11, tzinfo=UTC), datetime(2026, 11, 4, 12, tzinfo=UTC)),
    MetricsScope(h.END, h.END + timedelta(days=3)),
]


def report(database: Database, scope: MetricsScope, bucket: Bucket) -> MetricsReport:
    with database.read() as session:
        return metrics_report(session, scope, bucket, h.NOW)


@pytest.mark.parametrize("bucket", list(Bucket))
def test_postgresql_and_sqlite_give_the_same_reports(
    both: tuple[Database, Database], bucket: Bucket
) -> None:
    sqlite, postgres = both
    for scope in SCOPES:
        assert report(postgres, scope, bucket) == report(sqlite, scope, bucket), scope


def test_postgresql_gives_the_hand_worked_values(both: tuple[Database, Database]) -> None:
    _, postgres = both
    found = report(postgres, MetricsScope(h.START, h.END), Bucket.WEEK)
    period = found.period
    assert (period.incidents, period.false_positives, period.alerts) == (12, 1, 19)
    assert (period.mttd, period.mtta, period.mttr) == (h.PERIOD_MTTD, h.PERIOD_MTTA, h.PERIOD_MTTR)
    assert (period.response, period.resolve) == (h.PERIOD_RESPONSE, h.PERIOD_RESOLVE)
    assert period.recurring == 2
    assert tuple((w.mttd, w.mtta, w.mttr) for w in found.series) == (h.WEEK_1, h.WEEK_2)
    assert found.sla_by_customer == h.BY_CUSTOMER
    assert found.sla_by_severity == h.BY_SEVERITY
    assert found.top_recurring == h.TOP_RECURRING


def test_the_quantiles_are_postgresql_s_percentile_cont(both: tuple[Database, Database]) -> None:
    """Our exact integer interpolation against PostgreSQL's own (floating-point) one."""
    _, postgres = both
    scope = MetricsScope(h.START, h.END)
    found = report(postgres, scope, Bucket.WEEK).period
    with postgres.read() as session:
        for figure in FIGURES:
            value = DURATIONS[figure]
            terms = [*counted(figure), *scope_terms(ScopeShape.of(scope))]
            query = select(
                func.percentile_cont(0.5).within_group(value),
                func.percentile_cont(0.9).within_group(value),
            ).where(*terms)
            median, p90 = session.execute(query, scope_params(scope)).one()
            ours = getattr(found, figure)
            assert ours.median == pytest.approx(median / 1000, rel=1e-12)
            assert ours.p90 == pytest.approx(p90 / 1000, rel=1e-12)


def test_the_upgrade_fills_the_recorded_clocks_on_postgresql(pg_db_url: str) -> None:
    h.check_the_upgrade_fills_what_the_store_writes(pg_db_url)


def test_the_kept_totals_are_a_recount_on_postgresql(pg_db_url: str) -> None:
    """Adds, saves, rollbacks and two desks writing at once (no deadlock on the totals)."""
    h.check_the_kept_totals_are_a_recount(pg_db_url)


def test_the_upgrade_counts_the_totals_on_postgresql(pg_db_url: str) -> None:
    h.check_the_upgrade_counts_what_the_store_kept(pg_db_url)


def test_the_totals_give_what_the_incidents_give_on_postgresql(pg_db_url: str) -> None:
    h.check_the_totals_give_what_the_incidents_give(pg_db_url)
