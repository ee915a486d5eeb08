"""Triage: why each alert sits where it does, flapping, urgency, owning team and known issue.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Columns are added with server defaults (or nullable), so existing rows stay valid and
SQLite adds them in place. The (source, fingerprint) index serves the flapping and
recurrence look-ups, which read an alert's earlier occurrences whatever their status; it
replaces the (source, status) index, which the partial unique index made redundant.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("reason", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "alerts", sa.Column("flapping", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # a critical (high-urgency) alert makes its service "failing" for dependency correlation
    op.add_column(
        "alerts", sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index("ix_alerts_source_fingerprint", "alerts", ["source", "fingerprint"])
    # a source's firing alerts come through the partial unique index (source, fingerprint)
    # WHERE status = 'firing'; this one only cost every insert a fifth index
    op.drop_index("ix_alerts_source_status", table_name="alerts")
    op.add_column("incidents", sa.Column("team", sa.String(length=128), nullable=True))
    op.add_column("incidents", sa.Column("known_issue", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("known_issue")
        batch.drop_column("team")
    op.create_index("ix_alerts_source_status", "alerts", ["source", "status"])
    op.drop_index("ix_alerts_source_fingerprint", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("urgent")
        batch.drop_column("flapping")
        batch.drop_column("reason")
