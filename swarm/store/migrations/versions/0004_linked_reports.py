"""linked_reports and status_updates: one swarm for many customers, and updates that reach every source thread

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

import swarm.store.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linked_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("source_channel", sa.String(length=128), nullable=True),
        sa.Column("source_message", sa.String(length=128), nullable=True),
        sa.Column("source_link", sa.String(length=500), nullable=True),
        sa.Column("created_at", swarm.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_linked_reports_case_id", "linked_reports", ["case_id"])
    op.create_table(
        "status_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", swarm.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_status_updates_case_id", "status_updates", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_status_updates_case_id", "status_updates")
    op.drop_table("status_updates")
    op.drop_index("ix_linked_reports_case_id", "linked_reports")
    op.drop_table("linked_reports")
