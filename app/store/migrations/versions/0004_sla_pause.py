"""SLA clocks paused while an incident waits on the customer; the next customer update due.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # epoch milliseconds, as every instant in this schema (app/store/types.py)
    op.add_column("incidents", sa.Column("paused_since", sa.BigInteger(), nullable=True))
    op.add_column("incidents", sa.Column("update_due", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("update_due")
        batch.drop_column("paused_since")
