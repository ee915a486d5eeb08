"""The service metrics of app/domain/service_metrics.py, computed in SQL.

Counts and sums stream in one pass along `ix_incidents_metric_days`, grouped by the UTC
day of detection, the severity and the state (in index order, so with no sort); the
groups roll up into chart buckets in a second, small GROUP BY, and the buckets' rows add
up to the period's. The compliance per customer is one pass along
`ix_incidents_metric_customers`, the top recurring pairs start from
`ix_incidents_recurred`. Medians and p90s are read at their ranks along the figure
indexes (app/store/metric_ranks.py). Nothing reads incidents into Python: what comes
back is one row per bucket and severity, one per customer, and two values per quantile.
SQLite and PostgreSQL run the same statements (and give the same figures: the tests
compare them).

Every function takes `now`: it decides only whether a running SLA clock has already
missed its deadline. Customers and alert services sort in the database's collation
(byte order on SQLite and on a PostgreSQL database created with the C locale).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    String,
    Table,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.domain.incident import IncidentState
from app.domain.service_metrics import (
    Bucket,
    Compliance,
    Durations,
    Figures,
    GroupCompliance,
    MetricsReport,
    MetricsScope,
    RecurringPair,
    bucket_bounds,
)
from app.domain.severity import Severity
from app.store.metric_columns import CUSTOMER_TOTAL_COUNTS, DAY_MS, DAY_TOTAL_COUNTS
from app.store.metric_ranks import Span, Sums, durations
from app.store.metric_sql import (
    ACTIVE,
    FIGURES,
    NOT_FALSE_POSITIVE,
    NOT_FALSE_POSITIVE_UNINDEXED,
    I,
    ScopeShape,
    count_columns,
    day_of,
    detected_day,
    late_counts,
    recurred,
    rolled_up,
    row_counts,
    scope_params,
    scope_terms,
    settled_counts,
)
from app.store.tables import ALERTS, CUSTOMER_TOTALS, DAY_TOTALS
from app.store.types import to_millis

_MS = timedelta(milliseconds=1)
# a day number no incident has (year -5.8 million): a side of a scope with no such day
_NO_DAY = -(2**31)
# the counts `rolled_up` gives per group, which `Figures` are made of
_COUNTS = (
    "incidents",
    "false_positives",
    "alerts",
    *(f"{figure}_{part}" for figure in FIGURES for part in ("n", "ms")),
    "recurring",
    "response_met",
    "response_counted",
    "resolve_met",
    "resolve_counted",
)
_SLA_COUNTS = (
    "incidents",
    "false_positives",
    "response_met",
    "response_counted",
    "resolve_met",
    "resolve_counted",
)


def _per_day(shape: ScopeShape) -> Any:
    """One row per day, severity and state (or a few: the union's arms) with their
    counts, for the figures of a period, its buckets and its severities.

    Without a customer: the settled counts of the days the period covers whole from
    `incident_day_totals`, those of the (at most two) days it covers in part from their
    incidents along `ix_incidents_metric_days`, and the late running clocks from the
    active incidents (app/store/metric_totals.py). For one customer: one pass over the
    customer's incidents, in the order of `ix_incidents_metric_customers`.
    """
    if shape.customer:
        return per_day_of_incidents(shape)
    day = detected_day()
    keys = (day.label("day"), I.severity.label("severity"), I.state.label("state"))
    t = DAY_TOTALS.c
    whole_days = select(
        t.detected_day.label("day"),
        t.severity.label("severity"),
        t.state.label("state"),
        *count_columns({name: t[name] for name in DAY_TOTAL_COUNTS}),
    ).where(t.n > 0, *_whole_days(DAY_TOTALS, shape))
    part_days = (
        select(*keys, *count_columns(settled_counts()))
        .where(*scope_terms(shape, days=True), *_part_days())
        .group_by(day, I.severity, I.state)
    )
    running = (
        select(*keys, *count_columns(late_counts()))
        .where(ACTIVE, *scope_terms(shape))
        .group_by(day, I.severity, I.state)
    )
    return union_all(whole_days, part_days, running).subquery("per_day")


def _per_customer(shape: ScopeShape) -> Any:
    """One row per customer and state (or a few) with their SLA counts, false positives
    aside: from `incident_customer_totals` and the incidents as in `_per_day`."""
    if shape.customer:
        return per_customer_of_incidents(shape)
    keys = (I.customer.label("customer"), I.state.label("state"))
    t = CUSTOMER_TOTALS.c
    sums = {name: func.sum(t[name]) for name in CUSTOMER_TOTAL_COUNTS}
    whole_days = (
        select(
            func.nullif(t.customer_key, literal_column("''")).label("customer"),
            t.state.label("state"),
            *count_columns(sums, durations=False),
        )
        .where(t.n > 0, t.state != literal_column(f"'{IncidentState.FALSE_POSITIVE.value}'"))
        .where(*_whole_days(CUSTOMER_TOTALS, shape))
        .group_by(t.customer_key, t.state)
    )
    part_days = (
        select(*keys, *count_columns(settled_counts(durations=False), durations=False))
        .where(*scope_terms(shape, days=True), *_part_days(), NOT_FALSE_POSITIVE)
        .group_by(I.customer, I.state)
    )
    running = (
        select(*keys, *count_columns(late_counts(), durations=False))
        .where(ACTIVE, *scope_terms(shape))
        .group_by(I.customer, I.state)
    )
    return union_all(whole_days, part_days, running).subquery("per_customer")


def per_day_of_incidents(shape: ScopeShape) -> Any:
    """`_per_day` read from every incident of the scope, in one pass."""
    day = detected_day()
    return (
        select(day.label("day"), I.severity.label("severity"), I.state.label("state"))
        .add_columns(*row_counts())
        .where(*scope_terms(shape, days=True))
        .group_by(day, I.severity, I.state)
        .subquery("per_day")
    )


def per_customer_of_incidents(shape: ScopeShape) -> Any:
    """`_per_customer` read from every incident of the scope, in one pass."""
    return (
        select(I.customer.label("customer"), I.state.label("state"))
        .add_columns(*row_counts(durations=False))
        .where(*scope_terms(shape), NOT_FALSE_POSITIVE)
        .group_by(I.customer, I.state)
        .subquery("per_customer")
    )


def _whole_days(table: Table, shape: ScopeShape) -> list[ColumnElement[bool]]:
    terms = [
        table.c.detected_day >= bindparam("whole_first", type_=BigInteger),
        table.c.detected_day <= bindparam("whole_last", type_=BigInteger),
    ]
    if shape.severity:
        terms.append(table.c.severity == bindparam("severity", type_=String))
    return terms


def _part_days() -> list[ColumnElement[bool]]:
    edges = (bindparam("part_first", type_=BigInteger), bindparam("part_last", type_=BigInteger))
    return [detected_day().in_(edges)]


def _day_params(scope: MetricsScope) -> dict[str, int]:
    """Which days a scope covers whole (`whole_first`..`whole_last`) and which in part
    (`part_first`, `part_last`; `_NO_DAY` where a side has none)."""
    params = {
        "whole_first": _NO_DAY,
        "whole_last": -_NO_DAY,
        "part_first": _NO_DAY,
        "part_last": _NO_DAY,
    }
    if scope.start is not None:
        first = day_of(scope.start)
        whole = to_millis(scope.start) % DAY_MS == 0
        params["whole_first"] = first if whole else first + 1
        if not whole:
            params["part_first"] = first
    if scope.end is not None:
        last = day_of(scope.end - _MS)
        whole = to_millis(scope.end) % DAY_MS == 0
        params["whole_last"] = last if whole else last - 1
        if not whole:
            params["part_last"] = last
    return params


def _params(scope: MetricsScope, now: datetime) -> dict[str, Any]:
    return {**scope_params(scope), **_day_params(scope), "now": to_millis(now)}


# ---------------------------------------------------------------------- the figures


def period_figures(session: Session, scope: MetricsScope, now: datetime) -> Figures:
    """Every figure over the scope's period (module docstring of the domain module)."""
    rows = _per_day(ScopeShape.of(scope))
    query = select(rows.c.severity, *rolled_up(rows)).group_by(rows.c.severity)
    return _figures(session, scope, session.execute(query, _params(scope, now)))


def figures_series(
    session: Session, scope: MetricsScope, bucket: Bucket, now: datetime
) -> list[Figures]:
    """Every figure per chart bucket over the scope, empty buckets included (for a scope
    open on a side, the buckets run from its first or to its last incident)."""
    return _series(session, scope, bucket, now)[1]


def sla_by_severity(session: Session, scope: MetricsScope, now: datetime) -> list[GroupCompliance]:
    """Response and resolution compliance per severity, P1 first, every severity listed."""
    rows = _per_day(ScopeShape.of(scope))
    query = select(rows.c.severity, *rolled_up(rows)).group_by(rows.c.severity)
    return _by_severity(session.execute(query, _params(scope, now)))


def sla_by_customer(session: Session, scope: MetricsScope, now: datetime) -> list[GroupCompliance]:
    """Response and resolution compliance per customer that had incidents in the scope
    (false positives aside), by customer id, incidents that named none first."""
    per_state = _per_customer(ScopeShape.of(scope))
    customer = per_state.c.customer
    query = (
        select(customer, *rolled_up(per_state, durations=False))
        .group_by(customer)
        .order_by(customer.asc().nulls_first())
    )
    return [
        _group(row.customer, _tally([row], durations=False))
        for row in session.execute(query, _params(scope, now))
    ]


def top_recurring(session: Session, scope: MetricsScope, limit: int = 10) -> list[RecurringPair]:
    """The (service, alertname) pairs held by the most recurring incidents of the scope.

    The recurring incidents are found first (along `ix_incidents_recurred`, which holds
    only those), then their alerts through
    `ix_alerts_incident_id`: the alerts table is never scanned.
    """
    a = ALERTS.c
    recurring = (
        select(I.id)
        .where(*scope_terms(ScopeShape.of(scope), days=True))
        .where(NOT_FALSE_POSITIVE_UNINDEXED, recurred())
    )
    incidents = func.count(a.incident_id.distinct()).label("incidents")
    query = (
        select(a.service, a.alertname, incidents)
        .where(a.incident_id.in_(recurring))
        .group_by(a.service, a.alertname)
        .order_by(incidents.desc(), a.service.asc().nulls_first(), a.alertname.asc())
        .limit(limit)
    )
    return [
        RecurringPair(row.service, row.alertname, int(row.incidents))
        for row in session.execute(query, scope_params(scope))
    ]


def metrics_report(
    session: Session, scope: MetricsScope, bucket: Bucket, now: datetime, *, top: int = 10
) -> MetricsReport:
    """Everything the metrics view shows for a scope; one pass over the incidents serves
    the period, its buckets and the severities."""
    rows, series = _series(session, scope, bucket, now)
    return MetricsReport(
        scope=scope,
        bucket=bucket,
        period=_figures(session, scope, rows),
        series=tuple(series),
        sla_by_customer=tuple(sla_by_customer(session, scope, now)),
        sla_by_severity=tuple(_by_severity(rows)),
        top_recurring=tuple(top_recurring(session, scope, top)),
    )


# ---------------------------------------------------------------------- assembling


def _series(
    session: Session, scope: MetricsScope, bucket: Bucket, now: datetime
) -> tuple[list[Row[Any]], list[Figures]]:
    """The rows per (bucket, severity) and the figures of each bucket."""
    bounds = _bounds(session, scope, bucket)
    if not bounds:
        return [], []
    per_day = _per_day(ScopeShape.of(scope))
    key = _bucket_key(per_day.c.day, bucket, [day_of(low) for low, _ in bounds])
    query = select(key.label("bucket"), per_day.c.severity, *rolled_up(per_day))
    query = query.group_by(key, per_day.c.severity)
    rows = list(session.execute(query, _params(scope, now)))
    grouped: dict[int, list[Row[Any]]] = {}
    for row in rows:
        grouped.setdefault(int(row.bucket), []).append(row)
    series = [
        _figures(
            session,
            MetricsScope(low, high, scope.customer, scope.severity),
            grouped.get(day_of(low), []),
        )
        for low, high in bounds
    ]
    return rows, series


def _tally(rows: Iterable[Row[Any]], *, durations: bool = True) -> dict[str, int]:
    """The counts of several groups added up (integers: exact on both engines)."""
    totals = dict.fromkeys(_COUNTS, 0)
    for row in rows:
        values = row._mapping
        for name in _COUNTS if durations else _SLA_COUNTS:
            totals[name] += int(values[name] or 0)
    return totals


def _figures(session: Session, scope: MetricsScope, rows: Iterable[Row[Any]]) -> Figures:
    """Figures of one period or bucket from its rows (one per severity) and the walks."""
    rows = list(rows)
    totals = _tally(rows)
    by_severity = dict.fromkeys(Severity, 0)
    for row in rows:
        by_severity[Severity(row.severity)] += int(row.incidents) - int(row.false_positives)
    sums = {f: Sums(totals[f"{f}_n"], totals[f"{f}_ms"]) for f in FIGURES}
    found = durations(session, _span(session, scope), sums) if totals["incidents"] else {}
    return Figures(
        start=scope.start,
        end=scope.end,
        incidents=totals["incidents"],
        false_positives=totals["false_positives"],
        alerts=totals["alerts"],
        mttd=found.get("mttd", Durations()),
        mtta=found.get("mtta", Durations()),
        mttr=found.get("mttr", Durations()),
        response=Compliance(totals["response_met"], totals["response_counted"]),
        resolve=Compliance(totals["resolve_met"], totals["resolve_counted"]),
        recurring=totals["recurring"],
        by_severity=MappingProxyType(by_severity),
    )


def _by_severity(rows: Iterable[Row[Any]]) -> list[GroupCompliance]:
    grouped: dict[str, list[Row[Any]]] = {}
    for row in rows:
        grouped.setdefault(row.severity, []).append(row)
    return [_group(s.value, _tally(grouped.get(s.value, []))) for s in Severity]


def _group(key: str | None, totals: Mapping[str, int]) -> GroupCompliance:
    return GroupCompliance(
        key=key,
        incidents=totals["incidents"] - totals["false_positives"],
        response=Compliance(totals["response_met"], totals["response_counted"]),
        resolve=Compliance(totals["resolve_met"], totals["resolve_counted"]),
    )


def _span(session: Session, scope: MetricsScope) -> Span:
    """The days a scope covers; an open side ends at its first or last incident."""
    start, end = scope.start, scope.end
    if start is None or end is None:
        first, last = _extent(session, scope)
        start = start or first
        end = end or (last + _MS if last is not None else None)
    if start is None or end is None:
        return Span(scope, 0, -1)
    return Span(scope, day_of(start), day_of(end - _MS))


def _extent(session: Session, scope: MetricsScope) -> tuple[datetime | None, datetime | None]:
    """When the scope's first and last incidents were detected (None if it has none).

    Two subqueries: SQLite answers a lone min() or max() from an index end, not both."""
    terms = scope_terms(ScopeShape.of(scope))
    first = select(func.min(I.detected_at)).where(*terms).scalar_subquery()
    last = select(func.max(I.detected_at)).where(*terms).scalar_subquery()
    found = session.execute(select(first, last), scope_params(scope)).one()
    return found[0], found[1]


def _bounds(
    session: Session, scope: MetricsScope, bucket: Bucket
) -> list[tuple[datetime, datetime]]:
    start, end = scope.start, scope.end
    if start is None or end is None:
        first, last = _extent(session, scope)
        if first is None or last is None:
            return []
        start = start or first
        end = end or last + _MS
    return bucket_bounds(start, end, bucket)


def _bucket_key(
    day: ColumnElement[int], bucket: Bucket, starts: Sequence[int]
) -> ColumnElement[int]:
    """The first day of the bucket a day falls in: the day itself for days, else a CASE
    over the buckets' first days (only the per-day rows go through it, not incidents)."""
    if bucket is Bucket.DAY:
        return day
    # never a bare constant, even for one bucket: GROUP BY 20760 would mean column 20760
    whens: list[tuple[ColumnElement[bool], ColumnElement[int]]] = [
        (day >= first, literal_column(str(first))) for first in reversed(starts)
    ]
    return case(*whens, else_=literal_column(str(starts[0])))
