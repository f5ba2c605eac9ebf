"""Rate-limit cool-downs shared by every process of a deployment: after a 429 with Retry-After in one web or worker
process, the others make no call of that method before the time is up either (integrations/rate_limits.py).
Until is wall-clock epoch seconds: the processes may be on different machines.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_cooldowns",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("until", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_cooldowns")
