"""The per-day totals of the service metrics, kept by the store beside the incidents.

A period's counts and sums (app/store/service_metrics.py) were one pass over every
incident of the period: over a year of a million incidents about 1.3 s on this kind of
machine, most of it the per-row arithmetic. What does not depend on `now` (everything
but a running clock being late) only changes when an incident is written, so the store
keeps it added up per group in two small tables (app/store/tables.py):

- `incident_day_totals` per detection day, severity and state: every settled count, for
  the figures of a period, its chart buckets and its severities;
- `incident_customer_totals` per customer, state, day and severity: the SLA counts, for
  the compliance by customer.

A period then reads the totals of the days it covers whole, the incidents of the (at
most two) days it covers in part, and the running clocks of the active incidents.

How they stay right: every incident write goes through `IncidentRepository`, which
records here what the incident added before the write (its stored snapshot: the write
is refused if the version moved, so that is what the row held) and adds after it.
The differences gather in the session and are written when it commits, in key order,
so two desks on PostgreSQL take the (few, hot) total rows in the same order and never
deadlock on them; a rollback drops them with the rest. Code that writes incident rows
by hand (benchmark builders) calls `rebuild_metric_totals`; a test checks the kept
totals against it after every kind of write.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Table,
    delete,
    event,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.domain.incident import Incident
from app.store.metric_columns import CUSTOMER_TOTAL_COUNTS, DAY_TOTAL_COUNTS
from app.store.metric_sql import I, settled_counts
from app.store.tables import CUSTOMER_TOTALS, DAY_TOTALS

_PENDING = "noc.metric_totals"
_DAY_KEYS = ("detected_day", "severity", "state")
_CUSTOMER_KEYS = ("customer_key", "state", "detected_day", "severity")

DayKey = tuple[int, str, str]
CustomerKey = tuple[str, str, int, str]


class _Pending:
    """The differences a transaction makes to the totals, by key, not yet written."""

    def __init__(self) -> None:
        self.days: dict[DayKey, dict[str, int]] = {}
        self.customers: dict[CustomerKey, dict[str, int]] = {}

    def add(self, counts: Mapping[str, int], day: DayKey, customer: CustomerKey, sign: int) -> None:
        for found, key, names in (
            (self.days, day, DAY_TOTAL_COUNTS),
            (self.customers, customer, CUSTOMER_TOTAL_COUNTS),
        ):
            totals = found.setdefault(key, dict.fromkeys(names, 0))  # type: ignore[arg-type]
            for name in names:
                totals[name] += sign * counts[name]


def incident_counts(incident: Incident, values: Mapping[str, Any]) -> dict[str, int]:
    """What one incident adds to its group's totals: app/store/metric_sql.py
    `settled_counts` for a group of one, from its metric column `values`
    (app/store/metric_columns.py `metric_values`)."""
    acknowledge_ms = values["time_to_acknowledge_ms"]
    resolve_ms = values["time_to_resolve_ms"]
    response_met, resolve_met = values["response_met"], values["resolve_met"]
    resolved, response_due = incident.resolved_at, incident.response_due
    unanswered = (
        acknowledge_ms is None
        and resolved is not None
        and response_due is not None
        and resolved > response_due
    )
    return {
        "n": 1,
        "alerts": incident.alert_count,
        "mttd_n": 1,
        "mttd_ms": values["time_to_detect_ms"],
        "mtta_n": int(acknowledge_ms is not None),
        "mtta_ms": acknowledge_ms or 0,
        "mttr_n": int(resolve_ms is not None),
        "mttr_ms": resolve_ms or 0,
        "recurring": int(values["recurred"]),
        "response_met": int(response_met is True),
        "response_verdicts": int(response_met is not None),
        "response_unanswered": int(unanswered),
        "resolve_met": int(resolve_met is True),
        "resolve_verdicts": int(resolve_met is not None),
    }


def record(session: Session, incident: Incident, values: Mapping[str, Any], sign: int) -> None:
    """Count an incident in (`sign` 1) or out of (-1) the totals when the session commits;
    `values` are its metric columns (app/store/metric_columns.py `metric_values`)."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _Pending()
    counts = incident_counts(incident, values)
    day = values["detected_day"]
    severity, state = incident.severity.value, incident.state.value
    pending.add(
        counts, (day, severity, state), (incident.customer or "", state, day, severity), sign
    )


def flush(session: Session) -> None:
    """Write what the session's incident writes changed, in key order (module docstring)."""
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    connection = session.connection()
    for table, keys, names, found in (
        (DAY_TOTALS, _DAY_KEYS, DAY_TOTAL_COUNTS, pending.days),
        (CUSTOMER_TOTALS, _CUSTOMER_KEYS, CUSTOMER_TOTAL_COUNTS, pending.customers),
    ):
        rows = [
            {**dict(zip(keys, key, strict=True)), **counts}
            for key, counts in sorted(found.items())
            if any(counts.values())
        ]
        if rows:
            connection.execute(_adding(connection.dialect.name, table, keys, names), rows)


def _discard(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


# On every Session: the repository records into whichever session it was given.
event.listen(Session, "before_commit", flush)
event.listen(Session, "after_soft_rollback", _discard)


@cache
def _adding(dialect: str, table: Table, keys: tuple[str, ...], names: tuple[str, ...]) -> Insert:
    """INSERT a group's counts, or add them to the row already there (both engines)."""
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=list(keys), set_={n: table.c[n] + pg.excluded[n] for n in names}
        )
    lite = sqlite.insert(table)
    return lite.on_conflict_do_update(
        index_elements=list(keys), set_={n: table.c[n] + lite.excluded[n] for n in names}
    )


def rebuild_metric_totals(connection: Connection) -> None:
    """Recount both tables from the incident rows, for code that wrote those by hand."""
    connection.execute(delete(DAY_TOTALS))
    connection.execute(delete(CUSTOMER_TOTALS))
    counts = {name: func.coalesce(sum_, 0) for name, sum_ in settled_counts().items()}
    day = select(I.detected_day, I.severity, I.state, *(counts[n] for n in DAY_TOTAL_COUNTS))
    day = day.group_by(I.detected_day, I.severity, I.state)
    connection.execute(insert(DAY_TOTALS).from_select([*_DAY_KEYS, *DAY_TOTAL_COUNTS], day))
    customer_key = func.coalesce(I.customer, literal_column("''"))
    by_customer = select(
        customer_key,
        I.state,
        I.detected_day,
        I.severity,
        *(counts[n] for n in CUSTOMER_TOTAL_COUNTS),
    ).group_by(customer_key, I.state, I.detected_day, I.severity)
    connection.execute(
        insert(CUSTOMER_TOTALS).from_select([*_CUSTOMER_KEYS, *CUSTOMER_TOTAL_COUNTS], by_customer)
    )
