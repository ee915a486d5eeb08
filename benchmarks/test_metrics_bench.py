"""Service metrics over a million incidents on SQLite (issue 9: aim under 1 s).

The history is a year of 1,000,000 incidents (benchmarks/metrics_history.py, built once and
cached). Measured:
- the full report (`metrics_report`: the period's figures, a chart series, SLA by customer
  and by severity, the top recurring pairs) for the last 90 days by day, and for all time
  by week;
- the period's figures alone (what `noc-console metrics --json` prints) for the same two
  scopes.
Each round reads through a fresh read transaction of the store's own `Database`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from app.domain.service_metrics import Bucket, Figures, MetricsReport, MetricsScope
from app.store import Database
from app.store.service_metrics import metrics_report, period_figures
from benchmarks.metrics_history import COUNT, NOW, cached_history

LAST_90_DAYS = MetricsScope(NOW - timedelta(days=90), NOW)
ALL_TIME = MetricsScope()


@pytest.fixture(scope="module")
def history() -> Iterator[Database]:
    database = Database(f"sqlite:///{cached_history()}")
    yield database
    database.dispose()


def report(database: Database, scope: MetricsScope, bucket: Bucket) -> MetricsReport:
    with database.read() as session:
        return metrics_report(session, scope, bucket, NOW)


def figures(database: Database, scope: MetricsScope) -> Figures:
    with database.read() as session:
        return period_figures(session, scope, NOW)


def _note(benchmark: BenchmarkFixture, what: str) -> None:
    median = benchmark.stats.stats.median
    benchmark.extra_info["aim_s"] = 1.0
    print(f"\n{what} over {COUNT:,} incidents: median {median:.3f} s")


@pytest.mark.benchmark(group="metrics: 1M incidents, full report")
def test_full_report_last_90_days_by_day(benchmark: BenchmarkFixture, history: Database) -> None:
    found = benchmark.pedantic(
        report, args=(history, LAST_90_DAYS, Bucket.DAY), rounds=5, warmup_rounds=1
    )
    assert 200_000 < found.period.incidents < 300_000
    assert len(found.series) == 90
    assert found.period.mttr.p90 is not None
    assert len(found.sla_by_customer) == 200
    _note(benchmark, "full report, last 90 days by day")


@pytest.mark.benchmark(group="metrics: 1M incidents, full report")
def test_full_report_all_time_by_week(benchmark: BenchmarkFixture, history: Database) -> None:
    found = benchmark.pedantic(
        report, args=(history, ALL_TIME, Bucket.WEEK), rounds=3, warmup_rounds=1
    )
    assert found.period.incidents == COUNT
    assert 52 <= len(found.series) <= 54
    assert len(found.top_recurring) == 10
    _note(benchmark, "full report, all time by week")


@pytest.mark.benchmark(group="metrics: 1M incidents, period figures (metrics --json)")
def test_period_figures_last_90_days(benchmark: BenchmarkFixture, history: Database) -> None:
    found = benchmark.pedantic(figures, args=(history, LAST_90_DAYS), rounds=5, warmup_rounds=1)
    assert found.mtta.median is not None
    _note(benchmark, "period figures, last 90 days")


@pytest.mark.benchmark(group="metrics: 1M incidents, period figures (metrics --json)")
def test_period_figures_all_time(benchmark: BenchmarkFixture, history: Database) -> None:
    found = benchmark.pedantic(figures, args=(history, ALL_TIME), rounds=5, warmup_rounds=1)
    assert found.incidents == COUNT
    _note(benchmark, "period figures, all time")
