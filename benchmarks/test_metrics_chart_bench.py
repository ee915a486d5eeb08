"""The Metrics view drawing a year of daily points (issue 9: under 200 ms).

A synthetic report of 365 day buckets with every figure filled (the worst case for the
charts: no gaps), shown and rendered to an image, which is what an operator waits for
after the report arrives from the worker.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.console import Console
from app.domain.service_metrics import (
    Bucket,
    Compliance,
    Durations,
    Figures,
    GroupCompliance,
    MetricsReport,
    MetricsScope,
    RecurringPair,
)
from app.domain.severity import Severity
from tests.helpers.consoles import scripted_console
from ui.metrics_view import MetricsView
from ui.workers.actions import TaskRunner

START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 365


def durations(rng: random.Random, scale: float) -> Durations:
    median = rng.uniform(0.5, 1.5) * scale
    return Durations(count=rng.randint(50, 400), mean=median * 1.2, median=median, p90=median * 3)


def year_of_days(seed: int = 9) -> MetricsReport:
    rng = random.Random(seed)
    series = []
    for day in range(DAYS):
        start = START + timedelta(days=day)
        by_severity = {s: rng.randint(0, 80) for s in Severity}
        incidents = sum(by_severity.values())
        series.append(
            Figures(
                start=start,
                end=start + timedelta(days=1),
                incidents=incidents,
                false_positives=rng.randint(0, 5),
                alerts=incidents * rng.randint(2, 6),
                mttd=durations(rng, 90),
                mtta=durations(rng, 600),
                mttr=durations(rng, 7200),
                response=Compliance(met=rng.randint(40, 50), counted=50),
                resolve=Compliance(met=rng.randint(35, 50), counted=50),
                recurring=rng.randint(0, 10),
                by_severity=by_severity,
            )
        )
    period = Figures(
        start=START,
        end=START + timedelta(days=DAYS),
        incidents=sum(f.incidents for f in series),
        mttd=durations(rng, 90),
        mtta=durations(rng, 600),
        mttr=durations(rng, 7200),
        response=Compliance(met=9_000, counted=10_000),
        resolve=Compliance(met=8_500, counted=10_000),
    )
    customers = tuple(
        GroupCompliance(f"customer-{n}", 100, Compliance(90, 100), Compliance(80, 100))
        for n in range(8)
    )
    severities = tuple(
        GroupCompliance(s, 100, Compliance(95, 100), Compliance(85, 100)) for s in Severity
    )
    pairs = tuple(RecurringPair(f"svc-{n}", f"Alert{n}", 30 - n) for n in range(10))
    scope = MetricsScope(start=START, end=START + timedelta(days=DAYS))
    return MetricsReport(scope, Bucket.DAY, period, tuple(series), customers, severities, pairs)


@pytest.fixture
def view(qapp: QApplication, tmp_path: Any) -> Iterator[MetricsView]:
    console: Console = scripted_console(f"sqlite:///{tmp_path / 'charts.db'}", [])
    runner = TaskRunner()
    shown = MetricsView(console, runner, clock=lambda: START + timedelta(days=DAYS))
    shown.resize(1600, 900)
    shown.show()
    qapp.processEvents()
    yield shown
    runner.wait(10_000)
    shown.close()
    shown.deleteLater()
    qapp.processEvents()
    console.shutdown()


def test_a_year_of_daily_points_drawn_and_rendered(benchmark: Any, view: MetricsView) -> None:
    report = year_of_days()

    def draw() -> None:
        view.show_report(report)
        view.grab()  # the paint the operator waits for

    draw()  # the first draw builds pyqtgraph's items; the figure is the redraw
    benchmark.pedantic(draw, rounds=10, iterations=1)
    assert view.report is report
