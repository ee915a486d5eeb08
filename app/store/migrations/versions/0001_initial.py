"""Initial schema: incidents, their timeline, alert occurrences and source health.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Timestamps are BIGINT epoch milliseconds (app.store.types.UtcMillis); migrations spell
out storage types so that later changes to Python types cannot rewrite history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

FIRING = sa.text("status = 'firing'")


def _instant(name: str, *, nullable: bool) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("customer", sa.String(length=128), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("root_service", sa.String(length=128), nullable=True),
        sa.Column("severity", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.String(length=4), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        _instant("started_at", nullable=False),
        _instant("detected_at", nullable=False),
        _instant("acknowledged_at", nullable=True),
        _instant("resolved_at", nullable=True),
        _instant("closed_at", nullable=True),
        _instant("response_due", nullable=True),
        _instant("resolve_due", nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("ticket", sa.String(length=64), nullable=True),
        sa.Column("rca", sa.Text(), nullable=True),
        sa.Column("group_key", sa.String(length=512), nullable=False),
        sa.Column("recurrence_of", sa.Integer(), nullable=True),
        _instant("updated_at", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recurrence_of"], ["incidents.id"], name=op.f("fk_incidents_recurrence_of_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("uid", name=op.f("uq_incidents_uid")),
    )
    op.create_index(op.f("ix_incidents_customer"), "incidents", ["customer"])
    op.create_index(op.f("ix_incidents_detected_at"), "incidents", ["detected_at"])
    op.create_index(op.f("ix_incidents_group_key"), "incidents", ["group_key"])
    op.create_index(op.f("ix_incidents_state"), "incidents", ["state"])

    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        _instant("at", nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_events_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_events")),
    )
    op.create_index(op.f("ix_incident_events_incident_id"), "incident_events", ["incident_id"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("alertname", sa.String(length=256), nullable=False),
        sa.Column("customer", sa.String(length=128), nullable=True),
        sa.Column("service", sa.String(length=128), nullable=True),
        sa.Column("severity", sa.String(length=2), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=True),
        _instant("starts_at", nullable=False),
        _instant("ends_at", nullable=True),
        _instant("first_seen", nullable=False),
        _instant("last_seen", nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_alerts_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_incident_id"), "alerts", ["incident_id"])
    op.create_index("ix_alerts_source_status", "alerts", ["source", "status"])
    # the identity of an open alert: one firing occurrence per source and fingerprint
    op.create_index(
        "uq_alerts_firing",
        "alerts",
        ["source", "fingerprint"],
        unique=True,
        sqlite_where=FIRING,
        postgresql_where=FIRING,
    )

    op.create_table(
        "source_health",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_class", sa.String(length=32), nullable=True),
        _instant("last_attempt", nullable=True),
        _instant("last_success", nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        _instant("stale_since", nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_source_health")),
    )


def downgrade() -> None:
    op.drop_table("source_health")
    op.drop_table("alerts")
    op.drop_table("incident_events")
    op.drop_table("incidents")
