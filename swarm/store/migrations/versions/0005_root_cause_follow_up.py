"""Root cause on cases (and the department that owns it) and follow-ups with the customer

Plain ADD COLUMN on `cases` (no batch rebuild, which would drop 0003's search triggers on SQLite).

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

import swarm.store.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("root_cause", sa.String(length=50), nullable=True))
    op.add_column("cases", sa.Column("root_cause_department", sa.String(length=50), nullable=True))
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("due_at", swarm.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("created_at", swarm.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", swarm.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_follow_ups_case_id", "follow_ups", ["case_id"])
    op.create_index("ix_follow_ups_status", "follow_ups", ["status"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_status", "follow_ups")
    op.drop_index("ix_follow_ups_case_id", "follow_ups")
    op.drop_table("follow_ups")
    op.drop_column("cases", "root_cause_department")
    op.drop_column("cases", "root_cause")
