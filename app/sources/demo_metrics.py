"""Synthetic metrics for the demo estate: what a runbook's query step charts when no Prometheus is there.

The built-in runbooks chart PromQL (connections, latency, disk, tunnels...). On the demo
estate there is nothing to ask, yet an operator working a runbook end to end needs a
chart that agrees with the wall: a line that is hot exactly while the demo's alert about
that metric fires (remediations included) and calm otherwise. `DemoQueries` draws such
lines from the seed alone, shaped like `PrometheusQueries`. It lives apart from the
simulator in demo.py, which hands it the scenario's alert rules and a way to ask what
fires when, so this module never imports demo.py.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.series import Series
from app.domain.timestamps import ensure_utc

# Prometheus refuses a range query that would return more points per series.
MAX_POINTS = 11_000
# A sample holds between scrapes, as in Prometheus: the jitter changes once per scrape.
_SCRAPE_SECONDS = 15
_WAVE_SECONDS = 40 * 60  # a calm metric drifts slowly on a wave this long

# (service, alertname, at, instance or None) -> when the spell of that alert firing there
# then began, or None if it does not fire (DemoSource.firing_since).
FiringSince = Callable[[str, str, datetime, str | None], datetime | None]


@dataclass(frozen=True, slots=True)
class MetricShape:
    """A kind of metric the demo charts: how a query names it and its calm and hot values.

    The alerts whose rule (`expr`) names the same kind of metric drive it hot, so a
    chart agrees with the wall whatever the scenario calls its alerts.

    Attributes:
        name: what the metric is, e.g. "connections".
        pattern: finds the metric in a query (label values left out).
        calm, hot: [low, high] of a point while no driving alert fires, and while one does.
        ramp: units per hour the value climbs for as long as the alert has fired (an age,
            a counter); 0 holds it within `hot`.
        driven_by: finds the driving alerts' rules when they name another metric than the
            one charted (a sync flag driven by an offset alert); None means `pattern`.
    """

    name: str
    pattern: re.Pattern[str]
    calm: tuple[float, float]
    hot: tuple[float, float]
    ramp: float = 0.0
    driven_by: re.Pattern[str] | None = None


# First match wins: whole metric names first, then the broad words. Ratios are in percent
# (used, busy, failed); latency, durations and offsets in seconds, ages in hours, expiry in
# days. A 0/1 gauge is 1 (up, in sync) until an alert about that gauge fires; no demo alert
# watches `up` or `probe_success`, so those stay 1.
METRIC_SHAPES = (
    MetricShape("tunnel", re.compile(r"tunnel_up"), (1, 1), (0, 0)),
    MetricShape(
        "clock sync",
        re.compile(r"timex_sync_status"),
        (1, 1),
        (0, 0),
        driven_by=re.compile(r"timex_offset"),
    ),
    MetricShape("up", re.compile(r"\bup\b|probe_success"), (1, 1), (0, 0)),
    MetricShape(
        "backup age",
        re.compile(r"backup\w*success", re.I),
        (0.1, 0.9),
        (1.0, 1.05),
        ramp=1.0,
        driven_by=re.compile(r"backup", re.I),
    ),
    MetricShape("certificate", re.compile(r"cert|ssl_", re.I), (60, 80), (18, 20)),
    MetricShape(
        "clock offset",
        re.compile(r"timex_offset|clock_(offset|skew)", re.I),
        (0.0005, 0.0015),
        (0.06, 0.12),
    ),
    MetricShape("restarts", re.compile(r"restart", re.I), (0, 0), (1.0, 1.2), ramp=12.0),
    MetricShape("scrape", re.compile(r"scrape_duration"), (0.15, 0.6), (6, 9)),
    MetricShape("probe phases", re.compile(r"probe_\w*duration"), (0.03, 0.25), (1.5, 4.0)),
    MetricShape(
        "page faults",
        re.compile(r"pgmajfault"),
        (5, 40),
        (250, 600),
        driven_by=re.compile(r"mem", re.I),
    ),
    MetricShape(  # GB still free a day ahead; below zero it fills within the day
        "disk forecast",
        re.compile(r"predict_linear\(\s*node_filesystem"),
        (40, 120),
        (-15, -2),
        driven_by=re.compile(r"filesystem|disk", re.I),
    ),
    MetricShape(
        "connections", re.compile(r"pg_stat_activity|connection", re.I), (40, 60), (97, 99)
    ),
    MetricShape(
        "latency", re.compile(r"http_request_duration|latency", re.I), (0.12, 0.35), (2.2, 4.5)
    ),
    MetricShape("errors", re.compile(r"http_requests_total|5xx|error", re.I), (0.1, 0.8), (6, 18)),
    MetricShape("cpu", re.compile(r"cpu", re.I), (15, 55), (86, 98)),
    MetricShape("memory", re.compile(r"mem", re.I), (35, 70), (91, 97)),
    MetricShape("disk", re.compile(r"filesystem|disk", re.I), (30, 70), (86, 95)),
)
BASELINE = MetricShape("baseline", re.compile(""), (20, 40), (20, 40))

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _matcher(query: str, label: str) -> str | None:
    """The value of the first `label="..."` equality matcher in a PromQL query."""
    found = re.search(rf'\b{label}\s*=\s*"((?:[^"\\]|\\.)*)"', query)
    return found.group(1) if found else None


class DemoQueries:
    """Instant and range queries over the demo estate, shaped like `PrometheusQueries`.

    Nothing is stored: a point is drawn from (seed, shape, service, instance, scrape),
    and it is hot exactly when the demo says an alert about that metric fires there
    (remediations included). An unknown query gets a calm line, never an error, so a
    runbook's chart step always has something to show on the demo.

    Attributes:
        seed: the demo's seed; the same seed draws the same lines.
        services: the demo's service ids; a query about another service is always calm.
    """

    def __init__(
        self,
        *,
        seed: int,
        services: Collection[str],
        rules: Mapping[str, str],
        firing_since: FiringSince,
    ) -> None:
        """`rules` maps each alertname the demo raises to its rule (`expr`); `firing_since`
        says since when one fires on a service (and instance) at a moment."""
        self.seed = seed
        self.services = services
        self._firing_since = firing_since
        bare = {name: _STRING.sub('""', expr) for name, expr in rules.items()}
        self._drivers = {
            shape.name: tuple(
                name
                for name, expr in bare.items()
                if (shape.driven_by or shape.pattern).search(expr)
            )
            for shape in METRIC_SHAPES
        }

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        start, end = ensure_utc(start), ensure_utc(end)
        if step <= timedelta(0) or end <= start:
            raise ValueError("a range query needs start < end and a positive step")
        count = (end - start) // step + 1
        if count > MAX_POINTS:
            raise ValueError(
                f"{count:,} points per series is more than the {MAX_POINTS:,} Prometheus"
                " allows; use a longer step"
            )
        return [self._series(query, [start + i * step for i in range(count)])]

    def query(self, query: str, at: datetime) -> list[Series]:
        return [self._series(query, [ensure_utc(at)])]

    def shape_of(self, query: str) -> MetricShape:
        # label values are left out: a service called "error-tracker" is not an error rate
        bare = _STRING.sub('""', query)
        return next((shape for shape in METRIC_SHAPES if shape.pattern.search(bare)), BASELINE)

    def _series(self, query: str, moments: list[datetime]) -> Series:
        service, instance = _matcher(query, "service"), _matcher(query, "instance")
        shape = self.shape_of(query)
        known = service in self.services
        drivers = self._drivers.get(shape.name, ()) if known else ()
        labels = {"service": service} if service is not None else {}
        if instance is not None:
            labels["instance"] = instance
        key = f"{self.seed}:metric:{shape.name}:{service}:{instance}"
        phase = random.Random(key).random() * math.tau  # noqa: S311 - a simulation
        points = []
        for moment in moments:
            since = self._hot_since(service, instance, drivers, moment)
            low, high = shape.calm if since is None else shape.hot
            seconds = moment.timestamp()
            scrape = random.Random(f"{key}:{int(seconds) // _SCRAPE_SECONDS}")  # noqa: S311
            # mostly a slow drift, a little scrape-to-scrape jitter; stays within [low, high]
            where = 0.5 + 0.35 * math.sin(math.tau * seconds / _WAVE_SECONDS + phase)
            where += 0.15 * (2 * scrape.random() - 1)
            value = low + (high - low) * where
            if since is not None and shape.ramp:
                value += shape.ramp * (moment - since) / timedelta(hours=1)
            points.append((moment, value))
        return Series(labels, tuple(points))

    def _hot_since(
        self, service: str | None, instance: str | None, drivers: tuple[str, ...], at: datetime
    ) -> datetime | None:
        """Since when a driving alert has fired at `at` (the earliest), or None: calm."""
        if service is None:
            return None
        starts = (self._firing_since(service, alertname, at, instance) for alertname in drivers)
        return min((start for start in starts if start is not None), default=None)
