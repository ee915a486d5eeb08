"""Service metrics: the settled counts kept per day (app/store/metric_totals.py).

Two tables of totals, counted here from the incident rows as the store will keep them
from now on: per detection day, severity and state every count that does not depend on
`now`; per customer, state, day and severity the SLA counts. The counting is written out
here, frozen, as a revision must be (the store's `rebuild_metric_totals` counts the same
way; a test compares the two).

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
    "recurring": (
        "SUM(CASE WHEN reopened THEN 1 WHEN recurrence_of IS NULL THEN 0"
        " WHEN detected_at - (SELECT earlier.detected_at FROM incidents AS earlier"
        " WHERE earlier.id = incidents.recurrence_of) BETWEEN 0 AND 2592000000 THEN 1"
        " ELSE 0 END)"
    ),
    "response_met": "SUM(CASE WHEN response_met THEN 1 ELSE 0 END)",
    "response_verdicts": "COUNT(response_met)",
    "response_unanswered": (
        "SUM(CASE WHEN time_to_acknowledge_ms IS NOT NULL THEN 0"
        " WHEN resolved_at > response_due THEN 1 ELSE 0 END)"
    ),
    "resolve_met": "SUM(CASE WHEN resolve_met THEN 1 ELSE 0 END)",
    "resolve_verdicts": "COUNT(resolve_met)",
}


def upgrade() -> None:
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
