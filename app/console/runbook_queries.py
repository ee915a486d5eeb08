"""A runbook query step's chart data: Prometheus `query_range` or a CloudWatch metric.

The window runs from `before` the incident's start to `after` it (or now, if sooner), so
the chart shows the moment things went wrong in context. Runs on a worker thread; an
unreachable or missing source comes back as an error text for the chart's place, never
an exception into the UI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.alert import Alert
from app.domain.incident import Incident
from app.domain.runbook import Runbook, Step
from app.domain.series import Series
from app.domain.timestamps import ensure_utc
from app.runbooks.planning import PlanRefused, plan_cloudwatch, plan_promql
from app.sources.base import Source

MAX_POINTS = 240  # a chart in a side panel needs no more; Prometheus allows 11,000


@dataclass(frozen=True, slots=True)
class ChartData:
    """What a query step draws.

    Attributes:
        series: the lines (empty with `error` set when the query could not run).
        start, end: the window; `marker` the incident's start.
        query: the query as sent (shown under the chart).
        unit, threshold: from the step.
    """

    series: tuple[Series, ...]
    start: datetime
    end: datetime
    marker: datetime
    query: str
    unit: str = ""
    threshold: float | None = None
    error: str | None = None


def chart_data(
    sources: Sequence[Source],
    runbook: Runbook,
    step: Step,
    incident: Incident,
    alert: Alert | None,
    now: datetime,
) -> ChartData:
    query = step.query
    if query is None:
        raise ValueError(f"step {step.id} is not a query")
    marker = incident.started_at
    start = marker - query.before
    end = min(ensure_utc(now), marker + query.after)
    if end <= start:
        end = start + timedelta(minutes=1)
    step_size = max(timedelta(seconds=15), (end - start) / MAX_POINTS)

    def empty(text: str, error: str) -> ChartData:
        return ChartData((), start, end, marker, text, query.unit, query.threshold, error)

    try:
        if query.prometheus is not None:
            promql = plan_promql(runbook, step, incident, alert)
            client = _prometheus(sources, query.source)
            if client is None:
                return empty(promql, "no Prometheus source is configured to ask")
            series = client.query_range(promql, start, end, step_size)
            return ChartData(tuple(series), start, end, marker, promql, query.unit, query.threshold)
        metric = plan_cloudwatch(runbook, step, incident, alert)
        text = f"{metric.namespace} {metric.metric} {dict(metric.dimensions)} {metric.stat}"
        cloudwatch = _cloudwatch(sources, query.source)
        if cloudwatch is None:
            return empty(text, "no CloudWatch source is configured to ask")
        points = _metric_points(cloudwatch.client, metric, start, end)
        series = (Series({"metric": metric.metric, **dict(metric.dimensions)}, points),)
        return ChartData(series, start, end, marker, text, query.unit, query.threshold)
    except PlanRefused as error:
        return empty("", str(error))
    except Exception as error:  # noqa: BLE001 - a chart that cannot load says why, in place
        return empty(query.prometheus or "", f"{type(error).__name__}: {error}")


def _inner(source: Source) -> Any:
    return getattr(source, "inner", source)


def _prometheus(sources: Sequence[Source], name: str | None) -> Any:
    for source in sources:
        inner = _inner(source)
        if (name is None or source.name == name) and hasattr(inner, "queries"):
            return inner.queries
    return None


def _cloudwatch(sources: Sequence[Source], name: str | None) -> Any:
    for source in sources:
        if source.kind == "cloudwatch" and (name is None or source.name == name):
            return _inner(source)
    return None


def _metric_points(
    client: Any, metric: Any, start: datetime, end: datetime
) -> tuple[tuple[datetime, float], ...]:
    period = max(60, int(metric.period.total_seconds()) // 60 * 60)
    answer = client.get_metric_statistics(
        Namespace=metric.namespace,
        MetricName=metric.metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in metric.dimensions.items()],
        StartTime=start,
        EndTime=end,
        Period=period,
        Statistics=[metric.stat],
    )
    points = [
        (ensure_utc(p["Timestamp"]), float(p[metric.stat]))
        for p in answer.get("Datapoints", [])
        if metric.stat in p
    ]
    return tuple(sorted(points))
