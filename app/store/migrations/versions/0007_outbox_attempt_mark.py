"""A create's bookmark in the ticketing system, taken before it is sent.

After a crash between a create and its answer, Jira's search cannot prove the issue
absent (it lags behind creates); walking the project's keys from this bookmark can.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_outbox") as batch:
        batch.add_column(sa.Column("attempt_mark", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_outbox") as batch:
        batch.drop_column("attempt_mark")
