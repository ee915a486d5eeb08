"""Why an alert is suppressed, its content digest, and each source's poll state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Columns are added with server defaults so existing rows stay valid; SQLite adds them in
place (no table rebuild), PostgreSQL likewise.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "alerts", sa.Column("suppressed_by", sa.JSON(), nullable=False, server_default="[]")
    )
    # hash of the texts that may change under one identity; "" (never matches) for old rows
    op.add_column(
        "alerts", sa.Column("digest", sa.String(length=24), nullable=False, server_default="")
    )
    op.add_column(
        "source_health", sa.Column("details", sa.JSON(), nullable=False, server_default="{}")
    )
    op.add_column(
        "source_health", sa.Column("failures", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("source_health", sa.Column("next_attempt", sa.BigInteger(), nullable=True))
    op.add_column("source_health", sa.Column("retry_after_until", sa.BigInteger(), nullable=True))
    op.add_column(
        "source_health",
        sa.Column("circuit", sa.String(length=8), nullable=False, server_default="closed"),
    )


def downgrade() -> None:
    with op.batch_alter_table("source_health") as batch:
        for column in ("circuit", "retry_after_until", "next_attempt", "failures", "details"):
            batch.drop_column(column)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("digest")
        batch.drop_column("suppressed_by")
