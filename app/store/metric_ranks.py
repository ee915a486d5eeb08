"""Medians and p90s of the duration figures, read at their ranks along an index.

A quantile needs the values at two ranks (app/domain/service_metrics.py
`quantile_ranks`). SQLite has no percentile_cont, and its window functions are slow:
a ROW_NUMBER over a million values took 4-10 s on this kind of machine (2.3 s even over
values already in index order), sorting 250k values about 1 s. So nothing is sorted at
query time: the value at rank k is the row at OFFSET k of a walk along an index already
in value order, from whichever end is nearer (p90 walks down from the top).

- A span of at most `MERGE_DAYS` days walks the figure's per-day index: one run per day,
  already sorted, merged by a UNION ALL ... ORDER BY (SQLite merges sorted arms; it does
  not sort them again).
- A longer span walks the figure's all-days index in value order and skips what lies
  outside the span; the period terms are written so that no range index is preferred
  to the ordered walk.

PostgreSQL runs the very same statements, so both engines pick the same rows, and the
interpolation is integer arithmetic done once, in `interpolated_seconds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.domain.service_metrics import (
    MEDIAN,
    P90,
    Durations,
    MetricsScope,
    interpolated_seconds,
    mean_seconds,
    quantile_ranks,
)
from app.store.metric_sql import (
    DURATIONS,
    FIGURES,
    ScopeShape,
    counted,
    detected_day,
    scope_params,
    scope_terms,
)

# a merge of more day runs than this costs more than one walk along the all-days index
MERGE_DAYS = 31
_QUANTILES = {"median": MEDIAN, "p90": P90}


@dataclass(frozen=True, slots=True)
class Span:
    """Where a walk looks: a scope and the UTC days (epoch day numbers) it covers."""

    scope: MetricsScope
    first_day: int
    last_day: int

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


@dataclass(frozen=True, slots=True)
class Sums:
    """A duration figure's count and total (milliseconds) over a span, from the counts."""

    count: int
    total_ms: int


def durations(session: Session, span: Span, sums: Mapping[str, Sums]) -> dict[str, Durations]:
    """Every duration figure of a span: count and mean from `sums`, quantiles walked.

    One statement per span walks to every quantile of every figure (up to six walks);
    statements are cached per shape, so a chart of 365 days compiles a handful.
    """
    ranks: dict[str, tuple[int, int, int]] = {}
    walks: list[tuple[str, bool, int]] = []
    params = scope_params(span.scope)
    merged = span.days <= MERGE_DAYS
    if merged:
        params.update({f"day{n}": span.first_day + n for n in range(span.days)})
    for figure in FIGURES:
        count = sums[figure].count
        for name, fraction in _QUANTILES.items() if count else ():
            tag = f"{figure}.{name}"
            lower, upper, _ = ranks[tag] = quantile_ranks(count, fraction)
            descending = lower > count - 1 - upper  # nearer the top: walk down from the top
            params[f"take{len(walks)}"] = upper - lower + 1
            params[f"skip{len(walks)}"] = count - 1 - upper if descending else lower
            walks.append((tag, descending, span.days if merged else 0))
    found: dict[str, tuple[int, int]] = {}
    if walks:
        statement = _statement(tuple(walks), ScopeShape.of(span.scope))
        for tag, lowest, highest in session.execute(statement, params):
            found[tag] = (int(lowest), int(highest))
    result: dict[str, Durations] = {}
    for figure in FIGURES:
        count, total = sums[figure].count, sums[figure].total_ms
        values: dict[str, float | None] = dict.fromkeys(_QUANTILES)
        for name, fraction in _QUANTILES.items() if count else ():
            tag = f"{figure}.{name}"
            lower, upper = found[tag]
            values[name] = interpolated_seconds(lower, upper, ranks[tag][2], fraction)
        result[figure] = Durations(
            count=count,
            mean=mean_seconds(total, count),
            median=values["median"],
            p90=values["p90"],
        )
    return result


@lru_cache(maxsize=512)
def _statement(
    walks: tuple[tuple[str, bool, int], ...], shape: ScopeShape
) -> Select[str, int, int] | CompoundSelect[str, int, int]:
    """One SELECT (tag, lower, upper) per walk, UNION ALL; walk n takes `take<n>` values
    after skipping `skip<n>`; day arms compare with `day0`, `day1`, ..."""
    selects = [
        _neighbours(tag, _walk(tag.split(".")[0], descending, arms, shape, number))
        for number, (tag, descending, arms) in enumerate(walks)
    ]
    return selects[0] if len(selects) == 1 else union_all(*selects)


def _neighbours(tag: str, walk: Select[int] | CompoundSelect[int]) -> Select[str, int, int]:
    """The one or two values a walk returns, as (tag, lower, upper)."""
    rows = walk.subquery()
    label: ColumnElement[str] = literal_column(f"'{tag}'", String).label("tag")
    lowest: ColumnElement[int] = func.min(rows.c.v)
    highest: ColumnElement[int] = func.max(rows.c.v)
    return select(label, lowest, highest).select_from(rows)


def _walk(
    figure: str, descending: bool, arms: int, shape: ScopeShape, number: int
) -> Select[int] | CompoundSelect[int]:
    """The values of one figure after skipping `skip<number>`, in value order (up or
    down): along the day runs of `arms` days merged, or along all days if `arms` is 0."""
    value = DURATIONS[figure]
    take, skip = (
        bindparam(f"take{number}", type_=Integer),
        bindparam(f"skip{number}", type_=Integer),
    )
    if arms:
        terms = [*counted(figure), *scope_terms(shape, customer_index=False)]
        selects = [
            select(value.label("v")).where(
                detected_day() == bindparam(f"day{n}", type_=Integer), *terms
            )
            for n in range(arms)
        ]
        if arms > 1:
            merged = union_all(*selects)
            order: ColumnElement[int] = merged.selected_columns.v
            return (
                merged.order_by(order.desc() if descending else order.asc())
                .limit(take)
                .offset(skip)
            )
        walk = selects[0]
    else:
        walk = select(value.label("v")).where(*counted(figure), *scope_terms(shape))
    return walk.order_by(value.desc() if descending else value.asc()).limit(take).offset(skip)
