"""The audit of runbook actions (one row per attempt, committed before the call).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # instants are epoch milliseconds, as everywhere in this schema (app/store/types.py)
    op.create_table(
        "action_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey(
                "incidents.id", ondelete="CASCADE", name="fk_action_runs_incident_id_incidents"
            ),
            nullable=False,
        ),
        sa.Column("runbook", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("backend", sa.String(16), nullable=False),
        sa.Column("service", sa.String(128), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("call", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("automatic", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("policy", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("output", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_action_runs"),
        sa.UniqueConstraint("key", name="uq_action_runs_key"),
    )
    op.create_index("ix_action_runs_incident_id", "action_runs", ["incident_id"])
    op.create_index("ix_action_runs_service_requested", "action_runs", ["service", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_action_runs_service_requested", table_name="action_runs")
    op.drop_index("ix_action_runs_incident_id", table_name="action_runs")
    op.drop_table("action_runs")
