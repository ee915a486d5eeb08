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
  read without their events.

The metrics never sort incidents at query time: on SQLite a sort of a million rows takes
seconds, a walk along an index a fraction of that (PERF.md 1.2). So every figure reads an
index in the order it needs, and every index covers what its statements read:

- `ix_incidents_metric_days` starts with the day, severity and state: the counts and sums
  per day, severity and state stream in index order, never touching the (wide) rows;
- `ix_incidents_metric_customers` covers the same per customer and state, for the SLA
  compliance by customer and for every figure of one customer;
- `ix_incidents_recurring` holds only the incidents that may have recurred (reopened, or
  naming an earlier incident), where the top recurring pairs start;
- per duration, `..._days` orders the values within each day (a bucket's median is a
  walk to the middle of its days' runs, merged) and `..._ranks` across all days (the
  median of a long period is a walk to the middle). Both are partial: false positives
  and incidents the figure does not count yet are not in them.

Plain columns, not expression indexes: Alembic's batch mode (how SQLite rebuilds a
table) cannot reflect expression indexes and would drop them without a word.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, text

from app.domain.incident import Incident
from app.domain.service_metrics import recorded_clocks
from app.store.types import to_millis

DAY_MS = 86_400_000
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
    "reopened",
    "recurrence_of",
    "alert_count",
)
# the same for the customer index, which starts with the customer and the state
CUSTOMER_COVERED = ("severity", "detected_day", *(c for c in COVERED if c != "customer"))
RECURRING_COVERED = ("detected_at", "customer", "severity", "state", "reopened", "recurrence_of")
# SQLite stores booleans as 0 and 1 and compares them so; PostgreSQL has true
CANDIDATE_SQLITE = "reopened = 1 OR recurrence_of IS NOT NULL"
CANDIDATE_POSTGRESQL = "reopened = true OR recurrence_of IS NOT NULL"
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


def metric_values(incident: Incident) -> dict[str, Any]:
    """The metric columns of an incident's row (the store adds them to every write)."""
    detected = to_millis(incident.detected_at)
    acknowledged, resolved = incident.acknowledged_at, incident.resolved_at
    clocks = recorded_clocks(incident)
    return {
        "detected_day": detected // DAY_MS,
        "time_to_detect_ms": detected - to_millis(incident.started_at),
        "time_to_acknowledge_ms": to_millis(acknowledged) - detected if acknowledged else None,
        "time_to_resolve_ms": to_millis(resolved) - detected if resolved else None,
        "response_met": clocks.response_met,
        "resolve_met": clocks.resolve_met,
        "reopened": clocks.reopened,
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
            "ix_incidents_recurring",
            "detected_day",
            *RECURRING_COVERED,
            sqlite_where=text(CANDIDATE_SQLITE),
            postgresql_where=text(CANDIDATE_POSTGRESQL),
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
