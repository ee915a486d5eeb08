"""Tickets per incident and system, and the outbox of ticket writes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # instants are epoch milliseconds, as everywhere in this schema (app/store/types.py)
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey(
                "incidents.id", ondelete="CASCADE", name="fk_tickets_incident_id_incidents"
            ),
            nullable=False,
        ),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("key", sa.String(64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("state", sa.String(32), nullable=True),
        sa.Column("assignee", sa.String(128), nullable=True),
        sa.Column("priority", sa.String(64), nullable=True),
        sa.Column("remote_updated_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("idempotency_key", name="uq_tickets_idempotency_key"),
    )
    op.create_index(
        "uq_tickets_incident_id_system", "tickets", ["incident_id", "system"], unique=True
    )
    op.create_table(
        "ticket_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey(
                "incidents.id", ondelete="CASCADE", name="fk_ticket_outbox_incident_id_incidents"
            ),
            nullable=False,
        ),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=True),
        sa.Column("attempted_at", sa.BigInteger(), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_kind", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_outbox"),
    )
    op.create_index("ix_ticket_outbox_status_id", "ticket_outbox", ["status", "id"])
    op.create_index("ix_ticket_outbox_incident_id", "ticket_outbox", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_outbox_incident_id", table_name="ticket_outbox")
    op.drop_index("ix_ticket_outbox_status_id", table_name="ticket_outbox")
    op.drop_table("ticket_outbox")
    op.drop_index("uq_tickets_incident_id_system", table_name="tickets")
    op.drop_table("tickets")
