"""Service metrics: the settled counts kept per day (app/store/metric_totals.py), and
whether each incident recurred kept on its row.

- `incidents.recurred`: reopened, or `recurrence_of` an incident detected at most 30
  days before it; filled here from the rows, written by the store from now on (which
  looks the earlier incident up when it writes). The indexes that read the recurrence
  are made again over it: `ix_incidents_metric_days` and `ix_incidents_metric_customers`
  cover `recurred` instead of `reopened` and `recurrence_of`, and
  `ix_incidents_recurred` (only the incidents that recurred) replaces
  `ix_incidents_recurring` (all that might have).
- Two tables of totals, counted here from the incident rows as the store will keep them
  from now on: per detection day, severity and state every count that does not depend on
  `now`; per customer, state, day and severity the SLA counts.

The counting and the index definitions are written out here, frozen, as a revision must
be (the store's `rebuild_metric_totals` counts the same way and app/store/metric_columns.py
declares the same indexes; tests compare them).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SLA = [
    "response_met",
    "response_verdicts",
    "response_unanswered",
    "resolve_met",
    "resolve_verdicts",
]
_DAY_COUNTS = [
    "n",
    "alerts",
    "mttd_n",
    "mttd_ms",
    "mtta_n",
    "mtta_ms",
    "mttr_n",
    "mttr_ms",
    "recurring",
    *_SLA,
]
_CUSTOMER_COUNTS = ["n", *_SLA]
# each count of a group of incident rows (app/store/metric_sql.py `settled_counts`)
_SUMS = {
    "n": "COUNT(*)",
    "alerts": "COALESCE(SUM(alert_count), 0)",
    "mttd_n": "COUNT(time_to_detect_ms)",
    "mttd_ms": "COALESCE(SUM(time_to_detect_ms), 0)",
    "mtta_n": "COUNT(time_to_acknowledge_ms)",
    "mtta_ms": "COALESCE(SUM(time_to_acknowledge_ms), 0)",
    "mttr_n": "COUNT(time_to_resolve_ms)",
    "mttr_ms": "COALESCE(SUM(time_to_resolve_ms), 0)",
    "recurring": "SUM(CASE WHEN recurred THEN 1 ELSE 0 END)",
    "response_met": "SUM(CASE WHEN response_met THEN 1 ELSE 0 END)",
    "response_verdicts": "COUNT(response_met)",
    "response_unanswered": (
        "SUM(CASE WHEN time_to_acknowledge_ms IS NOT NULL THEN 0"
        " WHEN resolved_at > response_due THEN 1 ELSE 0 END)"
    ),
    "resolve_met": "SUM(CASE WHEN resolve_met THEN 1 ELSE 0 END)",
    "resolve_verdicts": "COUNT(resolve_met)",
}


_DURATIONS = ["time_to_detect_ms", "time_to_acknowledge_ms", "time_to_resolve_ms"]
_SLA_COVERED = ["resolved_at", "response_due", "resolve_due", "paused_since"]
_VERDICTS = ["response_met", "resolve_met"]
# what 0008's ix_incidents_recurring held after the day (for the downgrade)
_RECURRING_WAS = ["detected_at", "customer", "severity", "state", "reopened", "recurrence_of"]


def _covered(recurrence: list[str]) -> list[str]:
    return [
        "detected_at",
        "customer",
        *_DURATIONS,
        *_SLA_COVERED,
        *_VERDICTS,
        *recurrence,
        "alert_count",
    ]


def _metric_indexes(recurrence: list[str]) -> None:
    covered = _covered(recurrence)
    op.create_index(
        "ix_incidents_metric_days", "incidents", ["detected_day", "severity", "state", *covered]
    )
    by_customer = ["severity", "detected_day", *(c for c in covered if c != "customer")]
    op.create_index(
        "ix_incidents_metric_customers", "incidents", ["customer", "state", *by_customer]
    )


def _drop_metric_indexes() -> None:
    op.drop_index("ix_incidents_metric_days", table_name="incidents")
    op.drop_index("ix_incidents_metric_customers", table_name="incidents")


def upgrade() -> None:
    op.add_column(
        "incidents",
        sa.Column("recurred", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE incidents SET recurred = CASE WHEN reopened THEN TRUE"
        " WHEN recurrence_of IS NULL THEN FALSE"
        " WHEN detected_at - (SELECT earlier.detected_at FROM incidents AS earlier"
        " WHERE earlier.id = incidents.recurrence_of) BETWEEN 0 AND 2592000000 THEN TRUE"
        " ELSE FALSE END"
    )
    _drop_metric_indexes()
    _metric_indexes(["recurred"])
    op.drop_index("ix_incidents_recurring", table_name="incidents")
    op.create_index(
        "ix_incidents_recurred",
        "incidents",
        ["detected_day", "detected_at", "customer", "severity", "state", "recurred"],
        sqlite_where=sa.text("recurred = 1"),
        postgresql_where=sa.text("recurred = true"),
    )
    op.create_table(
        "incident_day_totals",
        sa.Column("detected_day", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(2), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _DAY_COUNTS),
        sa.PrimaryKeyConstraint("detected_day", "severity", "state", name="pk_incident_day_totals"),
    )
    op.create_table(
        "incident_customer_totals",
        sa.Column("customer_key", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detected_day", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(2), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _CUSTOMER_COUNTS),
        sa.PrimaryKeyConstraint(
            "customer_key",
            "state",
            "detected_day",
            "severity",
            name="pk_incident_customer_totals",
        ),
    )
    # the statements are made of the constants above only: no value comes from outside
    day_keys = "detected_day, severity, state"
    op.execute(_counted("incident_day_totals", day_keys, day_keys, _DAY_COUNTS))
    customer_keys = "customer_key, state, detected_day, severity"
    grouped = "COALESCE(customer, ''), state, detected_day, severity"
    op.execute(_counted("incident_customer_totals", customer_keys, grouped, _CUSTOMER_COUNTS))


def _counted(table: str, keys: str, grouped: str, counts: list[str]) -> str:
    sums = ", ".join(_SUMS[name] for name in counts)
    return (
        f"INSERT INTO {table} ({keys}, {', '.join(counts)})"  # noqa: S608 - constants only
        f" SELECT {grouped}, {sums} FROM incidents GROUP BY {grouped}"
    )


def downgrade() -> None:
    op.drop_table("incident_customer_totals")
    op.drop_table("incident_day_totals")
    op.drop_index("ix_incidents_recurred", table_name="incidents")
    op.create_index(
        "ix_incidents_recurring",
        "incidents",
        ["detected_day", *_RECURRING_WAS],
        sqlite_where=sa.text("reopened = 1 OR recurrence_of IS NOT NULL"),
        postgresql_where=sa.text("reopened = true OR recurrence_of IS NOT NULL"),
    )
    _drop_metric_indexes()
    _metric_indexes(["reopened", "recurrence_of"])
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("recurred")
