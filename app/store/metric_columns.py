"""The incident columns and indexes the service metrics read (app/store/service_metrics.py).

Besides the lifecycle instants, every incident row carries what the metrics need in the
form they need it, written by the store with every save (`metric_values`, from the
incident snapshot alone) and filled for older rows by migration 0008:

- `detected_day`: the UTC day of detection as an epoch day number (a bucket key);
- `time_to_detect_ms`, `time_to_acknowledge_ms`, `time_to_resolve_ms`: the MTTD, MTTA and
  MTTR terms of this incident in integer milliseconds, NULL while they do not count yet
  (not acknowledged; not resolved now);
- `response_met`, `resolve_met`, `reopened`: what the timeline recorded
  (app/domain/service_metrics.py `recorded_clocks`), so that a million incidents are
  read without their events;
- `recurred`: whether the incident counts as recurring (reopened, or `recurrence_of` an
  incident detected at most 30 days before it), decided when it is written: the store
  looks the earlier incident up then, so no query joins an incident to its earlier one.

The metrics never sort incidents at query time: on SQLite a sort of a million rows takes
seconds, a walk along an index a fraction of that (PERF.md 1.2). So every figure reads an
index in the order it needs, and every index covers what its statements read:

- `ix_incidents_metric_days` starts with the day, severity and state: the counts and sums
  per day, severity and state stream in index order, never touching the (wide) rows;
- `ix_incidents_metric_customers` covers the same per customer and state, for the SLA
  compliance by customer and for every figure of one customer;
- `ix_incidents_recurred` holds only the incidents that recurred, where the top
  recurring pairs start;
- per duration, `..._days` orders the values within each day (a bucket's median is a
  walk to the middle of its days' runs, merged) and `..._ranks` across all days (the
  median of a long period is a walk to the middle). Both are partial: false positives
  and incidents the figure does not count yet are not in them.

Plain columns, not expression indexes: Alembic's batch mode (how SQLite rebuilds a
table) cannot reflect expression indexes and would drop them without a word.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, text

from app.domain.incident import Incident
from app.domain.service_metrics import RECURRENCE_WINDOW, recorded_clocks
from app.store.types import to_millis

DAY_MS = 86_400_000
_WINDOW_MS = int(RECURRENCE_WINDOW.total_seconds()) * 1000
FALSE_POSITIVE_SQL = "state != 'false_positive'"
# figure -> its column: one incident's term of the mean, in milliseconds
DURATION_COLUMNS = {
    "mttd": "time_to_detect_ms",
    "mtta": "time_to_acknowledge_ms",
    "mttr": "time_to_resolve_ms",
}
# what the per-day counts and sums read, after the day, severity and state they group by
COVERED = (
    "detected_at",
    "customer",
    *DURATION_COLUMNS.values(),
    "resolved_at",
    "response_due",
    "resolve_due",
    "paused_since",
    "response_met",
    "resolve_met",
    "recurred",
    "alert_count",
)
# the same for the customer index, which starts with the customer and the state
CUSTOMER_COVERED = ("severity", "detected_day", *(c for c in COVERED if c != "customer"))
# with `recurred` itself: SQLite counts an index as covering only if it holds every column
# the statement names, the one its condition implies included
RECURRED_COVERED = ("detected_at", "customer", "severity", "state", "recurred")
# SQLite stores booleans as 0 and 1 and compares them so; PostgreSQL has true
RECURRED_SQLITE = "recurred = 1"
RECURRED_POSTGRESQL = "recurred = true"
# what a walk along a figure's values filters on (the scope), besides the value
WALK_COVERED = ("detected_at", "severity", "customer", "state")


# the settled counts the totals tables keep per group (app/store/metric_totals.py), named
# as app/store/metric_sql.py `settled_counts` names them ("n" is the incidents)
DAY_TOTAL_COUNTS = (
    "n",
    "alerts",
    *(f"{figure}_{part}" for figure in DURATION_COLUMNS for part in ("n", "ms")),
    "recurring",
    "response_met",
    "response_verdicts",
    "response_unanswered",
    "resolve_met",
    "resolve_verdicts",
)
CUSTOMER_TOTAL_COUNTS = (
    "n",
    "response_met",
    "response_verdicts",
    "response_unanswered",
    "resolve_met",
    "resolve_verdicts",
)


def metric_values(incident: Incident, earlier_detected: datetime | None) -> dict[str, Any]:
    """The metric columns of an incident's row (the store adds them to every write);
    `earlier_detected`: when the incident it is `recurrence_of` was detected, if it
    names one that is stored (app/domain/service_metrics.py, Recurrence)."""
    detected = to_millis(incident.detected_at)
    acknowledged, resolved = incident.acknowledged_at, incident.resolved_at
    clocks = recorded_clocks(incident)
    recurred = clocks.reopened or (
        incident.recurrence_of is not None
        and earlier_detected is not None
        and 0 <= detected - to_millis(earlier_detected) <= _WINDOW_MS
    )
    return {
        "detected_day": detected // DAY_MS,
        "time_to_detect_ms": detected - to_millis(incident.started_at),
        "time_to_acknowledge_ms": to_millis(acknowledged) - detected if acknowledged else None,
        "time_to_resolve_ms": to_millis(resolved) - detected if resolved else None,
        "response_met": clocks.response_met,
        "resolve_met": clocks.resolve_met,
        "reopened": clocks.reopened,
        "recurred": recurred,
    }


def counted_where(figure: str) -> str:
    """The partial-index condition of a duration figure: not a false positive, value set."""
    return f"{FALSE_POSITIVE_SQL} AND {DURATION_COLUMNS[figure]} IS NOT NULL"


def metric_indexes() -> tuple[Index, ...]:
    """The indexes, for the incidents table's definition (migration 0008 creates them)."""
    indexes = [
        Index("ix_incidents_metric_days", "detected_day", "severity", "state", *COVERED),
        Index("ix_incidents_metric_customers", "customer", "state", *CUSTOMER_COVERED),
        Index(
            "ix_incidents_recurred",
            "detected_day",
            *RECURRED_COVERED,
            sqlite_where=text(RECURRED_SQLITE),
            postgresql_where=text(RECURRED_POSTGRESQL),
        ),
    ]
    for figure, column in DURATION_COLUMNS.items():
        where = counted_where(figure)
        for name, keys in (("days", ("detected_day", column)), ("ranks", (column,))):
            indexes.append(
                Index(
                    f"ix_incidents_{figure}_{name}",
                    *keys,
                    *WALK_COVERED,
                    sqlite_where=text(where),
                    postgresql_where=text(where),
                )
            )
    return tuple(indexes)
