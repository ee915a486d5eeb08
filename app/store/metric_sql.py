"""SQL building blocks of the service metrics: the scope, the counts, the SLA outcomes.

They read the metric columns of app/store/metric_columns.py; instants are integer epoch
milliseconds read as integers (`type_coerce`, no datetime processing). The conditions of
the partial indexes are written exactly as the indexes spell them (SQLite matches a
partial index by the parsed form of its condition): the false-positive state is a
literal, never a bound parameter. The definitions these expressions implement are in
app/domain/service_metrics.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    true,
    type_coerce,
)

from app.domain.incident import ACTIVE_STATES, IncidentState
from app.domain.service_metrics import MetricsScope
from app.store.metric_columns import DAY_MS, DURATION_COLUMNS
from app.store.tables import INCIDENTS
from app.store.types import to_millis

I = INCIDENTS.c  # noqa: E741 - the incidents table's columns, read in every expression
FIGURES = ("mttd", "mtta", "mttr")
_ACTIVE = sorted(state.value for state in ACTIVE_STATES)


def ms(column: ColumnElement[datetime] | ColumnElement[int]) -> ColumnElement[int]:
    """A stored instant as its integer epoch milliseconds, without datetime processing."""
    return type_coerce(column, BigInteger)


def _literal(value: int | str) -> ColumnElement[int]:
    text = f"'{value}'" if isinstance(value, str) else str(value)
    return literal_column(text, BigInteger if isinstance(value, int) else None)


def detected_day() -> ColumnElement[int]:
    """The UTC day of detection, as the epoch day number (the metric indexes' first key)."""
    return I.detected_day


NOT_FALSE_POSITIVE = I.state != _literal(IncidentState.FALSE_POSITIVE.value)
# the incidents whose clocks may still run (`ix_incidents_state` finds the few)
ACTIVE = I.state.in_([_literal(state) for state in _ACTIVE])
# the same, but no partial index of a duration figure matches it (they would not cover
# what a statement that reads other columns needs)
NOT_FALSE_POSITIVE_UNINDEXED = I.state.concat(literal_column("''")) != _literal(
    IncidentState.FALSE_POSITIVE.value
)
# figure -> one incident's term in milliseconds (NULL while it does not count)
DURATIONS: dict[str, ColumnElement[int]] = {
    figure: I[column] for figure, column in DURATION_COLUMNS.items()
}


def counted(figure: str) -> list[ColumnElement[bool]]:
    """The terms of the figure's partial indexes: not a false positive, the value is set."""
    return [NOT_FALSE_POSITIVE, DURATIONS[figure].is_not(None)]


def day_of(instant: datetime) -> int:
    return to_millis(instant) // DAY_MS


@dataclass(frozen=True, slots=True)
class ScopeShape:
    """Which sides of a scope are set: statements are built (and cached) per shape, the
    values go in as parameters (`scope_params`)."""

    start: bool
    end: bool
    customer: bool
    severity: bool

    @classmethod
    def of(cls, scope: MetricsScope) -> ScopeShape:
        return cls(
            scope.start is not None,
            scope.end is not None,
            scope.customer is not None,
            scope.severity is not None,
        )


def scope_params(scope: MetricsScope) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if scope.start is not None:
        params["start"] = to_millis(scope.start)
        params["first_day"] = day_of(scope.start)
    if scope.end is not None:
        params["end"] = to_millis(scope.end)
        params["last_day"] = (to_millis(scope.end) - 1) // DAY_MS
    if scope.customer is not None:
        params["customer"] = scope.customer
    if scope.severity is not None:
        params["severity"] = scope.severity.value
    return params


def scope_terms(
    shape: ScopeShape,
    *,
    days: bool = False,
    customer_index: bool = True,
) -> list[ColumnElement[bool]]:
    """The scope as WHERE terms: the period on `detected_at`, customer and severity.

    The terms also steer SQLite's planner (which has no statistics here, nor hints in
    SQLAlchemy) to the index each statement is written for: the period on
    `detected_at` is written `detected_at + 0`, which no index serves (a range on the
    plain `ix_incidents_detected_at` would win and then read every table row); with
    `days` it is repeated as a range of detection days, for the indexes that start with
    the day; without `customer_index`, the customer is compared as `customer || ''` so
    that no customer index is preferred to a walk along a day's values.
    """
    detected = ms(I.detected_at) + literal_column("0")
    terms: list[ColumnElement[bool]] = []
    if shape.start:
        terms.append(detected >= bindparam("start", type_=BigInteger))
        if days:
            terms.append(detected_day() >= bindparam("first_day", type_=BigInteger))
    if shape.end:
        terms.append(detected < bindparam("end", type_=BigInteger))
        if days:
            terms.append(detected_day() <= bindparam("last_day", type_=BigInteger))
    if shape.customer:
        column = I.customer if customer_index else I.customer + literal_column("''")
        terms.append(column == bindparam("customer", type_=String))
    if shape.severity:
        terms.append(I.severity == bindparam("severity", type_=String))
    return terms


def _judged_at() -> ColumnElement[int]:
    """Where a running clock stands: now, or the start of the wait if it waits."""
    now = bindparam("now", type_=BigInteger)
    waiting = and_(I.paused_since.is_not(None), ms(I.paused_since) < now)
    return case((waiting, ms(I.paused_since)), else_=now)


# the columns of a group's counts, in the order every arm of a union selects them
COUNT_COLUMNS = (
    "n",
    "alerts",
    *(f"{figure}_{part}" for figure in FIGURES for part in ("n", "ms")),
    "recurring",
    "response_met",
    "response_verdicts",
    "response_late",
    "response_unanswered",
    "resolve_met",
    "resolve_verdicts",
    "resolve_late",
)
SLA_COUNT_COLUMNS = tuple(
    name for name in COUNT_COLUMNS if name == "n" or name.startswith(("response_", "resolve_"))
)
# the counts that depend on `now`: running clocks, read live from the active incidents
LATE_COLUMNS = ("response_late", "resolve_late")


def settled_counts(*, durations: bool = True) -> dict[str, ColumnElement[int]]:
    """What each group of incidents adds up to that does not depend on `now`: the counts
    the totals tables keep per day (app/store/metric_totals.py), read row by row only
    for the days a period covers in part.

    Kept to plain sums and counts; what depends on the state (false positives apart,
    running clocks only while the incident is active) is decided per group afterwards,
    in `rolled_up`. The SLA parts (module docstring of app/domain/service_metrics.py):
    a recorded verdict, met or breached; a response clock stopped by a resolution
    without acknowledgement, late then. Verdicts are 1 (met), 0 (breached) or NULL
    (none): their sum counts the met, their count the recorded.
    """
    columns: dict[str, ColumnElement[int]] = {"n": func.count()}
    if durations:
        columns["alerts"] = func.sum(I.alert_count)
        for figure, value in DURATIONS.items():
            columns[f"{figure}_n"] = func.count(value)
            columns[f"{figure}_ms"] = func.sum(value)
        columns["recurring"] = func.sum(cast(I.recurred, Integer))
    columns["response_met"] = func.sum(cast(I.response_met, Integer))
    columns["response_verdicts"] = func.count(I.response_met)
    columns["response_unanswered"] = _late(
        DURATIONS["mtta"], ms(I.resolved_at) > ms(I.response_due)
    )
    columns["resolve_met"] = func.sum(cast(I.resolve_met, Integer))
    columns["resolve_verdicts"] = func.count(I.resolve_met)
    return columns


def late_counts() -> dict[str, ColumnElement[int]]:
    """The running clocks late at `now` (or when their wait began), which only active
    incidents have: the rare unstopped clock is tested first. `now` is epoch ms."""
    judged_at = _judged_at()
    return {
        "response_late": _late(DURATIONS["mtta"], ms(I.response_due) <= judged_at),
        "resolve_late": _late(DURATIONS["mttr"], ms(I.resolve_due) <= judged_at),
    }


def count_columns(
    found: Mapping[str, ColumnElement[Any]], *, durations: bool = True
) -> list[ColumnElement[Any]]:
    """`found` in the union order (`COUNT_COLUMNS`), a 0 for each count it lacks."""
    names = COUNT_COLUMNS if durations else SLA_COUNT_COLUMNS
    zero = literal_column("0", BigInteger)
    return [found.get(name, zero).label(name) for name in names]


def row_counts(*, durations: bool = True) -> list[ColumnElement[int]]:
    """Every count of a group of incidents read row by row, in the union order."""
    found = {**settled_counts(durations=durations), **late_counts()}
    return count_columns(found, durations=durations)


def _late(stopped: ColumnElement[Any], late: ColumnElement[bool]) -> ColumnElement[int]:
    """Count the rows whose clock did not stop (`stopped`, its duration, unset) and is late."""
    return func.sum(case((stopped.is_not(None), 0), (late, 1), else_=0))


def rolled_up(rows: Any, *, durations: bool = True) -> list[ColumnElement[int]]:
    """The figures' counts from groups of `row_counts` (one state each): false positives
    only in the noise counts, running clocks only for active incidents."""
    c = rows.c
    real = c.state != _literal(IncidentState.FALSE_POSITIVE.value)
    active = c.state.in_(_ACTIVE)

    def when(condition: ColumnElement[bool], value: ColumnElement[int]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    columns: list[ColumnElement[int]] = [
        func.sum(c.n).label("incidents"),
        when(~real, c.n).label("false_positives"),
    ]
    if durations:
        columns += [
            func.coalesce(func.sum(c.alerts), 0).label("alerts"),
            when(real, c.mttd_n).label("mttd_n"),
            when(real, c.mttd_ms).label("mttd_ms"),
            when(real, c.mtta_n).label("mtta_n"),
            when(real, c.mtta_ms).label("mtta_ms"),
            when(real, c.mttr_n).label("mttr_n"),
            when(real, c.mttr_ms).label("mttr_ms"),
            when(real, c.recurring).label("recurring"),
        ]
    columns += [
        when(real, c.response_met).label("response_met"),
        (
            when(real, c.response_verdicts + c.response_unanswered) + when(active, c.response_late)
        ).label("response_counted"),
        when(real, c.resolve_met).label("resolve_met"),
        (when(real, c.resolve_verdicts) + when(active, c.resolve_late)).label("resolve_counted"),
    ]
    return columns


def recurred() -> ColumnElement[bool]:
    """The incident recurred (the stored flag), written as `ix_incidents_recurred`'s
    condition is, so a plan may read only that index."""
    return I.recurred == true()
