"""Service metrics: what they read kept on the incident row, and the indexes they walk
instead of sorting (app/store/metric_columns.py).

The new columns are filled from what is already stored, as the store fills them on every
later write (app/store/metric_columns.py `metric_values`): the detection day and the
three durations from the stored instants; the acknowledgement's `response` verdict and
the last resolution's `resolve` verdict (while the incident is resolved) from the
timeline, otherwise the stored times against the stored deadlines; whether a `reopened`
event exists.

The columns are added with plain ADD COLUMN (in place on SQLite: no table copy), the
index definitions are written out here, frozen, as a revision must be.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_DURATIONS = ["time_to_detect_ms", "time_to_acknowledge_ms", "time_to_resolve_ms"]
_COVERED = [
    "detected_at",
    "customer",
    *_DURATIONS,
    "resolved_at",
    "response_due",
    "resolve_due",
    "paused_since",
    "response_met",
    "resolve_met",
    "reopened",
    "recurrence_of",
    "alert_count",
]
_CUSTOMER_COVERED = ["severity", "detected_day", *(c for c in _COVERED if c != "customer")]
_WALK_COVERED = ["detected_at", "severity", "customer", "state"]
_RECURRING_COVERED = ["detected_at", "customer", "severity", "state", "reopened", "recurrence_of"]
_FIGURES = dict(zip(("mttd", "mtta", "mttr"), _DURATIONS, strict=True))


def upgrade() -> None:
    op.add_column(
        "incidents", sa.Column("detected_day", sa.Integer(), nullable=False, server_default="0")
    )
    for name in _DURATIONS:
        op.add_column("incidents", sa.Column(name, sa.BigInteger(), nullable=True))
    op.add_column("incidents", sa.Column("response_met", sa.Boolean(), nullable=True))
    op.add_column("incidents", sa.Column("resolve_met", sa.Boolean(), nullable=True))
    op.add_column(
        "incidents",
        sa.Column("reopened", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _fill()
    op.create_index(
        "ix_incidents_metric_days",
        "incidents",
        ["detected_day", "severity", "state", *_COVERED],
    )
    op.create_index(
        "ix_incidents_metric_customers", "incidents", ["customer", "state", *_CUSTOMER_COVERED]
    )
    op.create_index(
        "ix_incidents_recurring",
        "incidents",
        ["detected_day", *_RECURRING_COVERED],
        sqlite_where=sa.text("reopened = 1 OR recurrence_of IS NOT NULL"),
        postgresql_where=sa.text("reopened = true OR recurrence_of IS NOT NULL"),
    )
    for figure, column in _FIGURES.items():
        condition = sa.text(f"state != 'false_positive' AND {column} IS NOT NULL")
        for name, keys in (("days", ["detected_day", column]), ("ranks", [column])):
            op.create_index(
                f"ix_incidents_{figure}_{name}",
                "incidents",
                [*keys, *_WALK_COVERED],
                sqlite_where=condition,
                postgresql_where=condition,
            )


def _fill() -> None:
    incidents = sa.table(
        "incidents",
        *(sa.column(name, sa.BigInteger) for name in ("id", "started_at", "detected_at")),
        *(sa.column(name, sa.BigInteger) for name in ("acknowledged_at", "resolved_at")),
        *(sa.column(name, sa.BigInteger) for name in ("response_due", "resolve_due")),
        sa.column("detected_day", sa.Integer),
        *(sa.column(name, sa.BigInteger) for name in _DURATIONS),
        *(sa.column(name, sa.Boolean) for name in ("response_met", "resolve_met", "reopened")),
    )
    events = sa.table(
        "incident_events",
        sa.column("id", sa.Integer),
        sa.column("incident_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("data", sa.JSON),
    )
    i, e = incidents.c, events.c

    def last_verdict(kind: str, clock: str) -> sa.ScalarSelect[str]:
        return (
            sa.select(e.data[clock].as_string())
            .where(e.incident_id == i.id, e.kind == kind)
            .order_by(e.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    def judged(
        verdict: sa.ScalarSelect[str], done: sa.ColumnElement[int], due: sa.ColumnElement[int]
    ) -> sa.Case[bool]:
        return sa.case(
            (verdict == "met", sa.true()),
            (verdict == "breached", sa.false()),
            (sa.and_(done.is_not(None), due.is_not(None)), done <= due),
            else_=sa.null(),
        )

    reopened = sa.exists().where(e.incident_id == i.id, e.kind == "reopened")
    op.execute(
        incidents.update().values(
            detected_day=i.detected_at // sa.literal_column("86400000", sa.BigInteger),
            time_to_detect_ms=i.detected_at - i.started_at,
            time_to_acknowledge_ms=i.acknowledged_at - i.detected_at,  # NULL stays NULL
            time_to_resolve_ms=i.resolved_at - i.detected_at,
            response_met=judged(
                last_verdict("acknowledged", "response"), i.acknowledged_at, i.response_due
            ),
            resolve_met=sa.case(
                (
                    i.resolved_at.is_not(None),
                    judged(last_verdict("resolved", "resolve"), i.resolved_at, i.resolve_due),
                ),
                else_=sa.null(),
            ),
            reopened=sa.case((reopened, sa.true()), else_=sa.false()),
        )
    )


def downgrade() -> None:
    for name in ("metric_days", "metric_customers", "recurring"):
        op.drop_index(f"ix_incidents_{name}", table_name="incidents")
    for figure in _FIGURES:
        op.drop_index(f"ix_incidents_{figure}_days", table_name="incidents")
        op.drop_index(f"ix_incidents_{figure}_ranks", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        for name in ("reopened", "resolve_met", "response_met", *_DURATIONS, "detected_day"):
            batch.drop_column(name)
