"""Slack workspaces: which workspace a case (and a report linked to it) came from, so that one deployment installed
in several workspaces talks to each case's channel with that workspace's bot token.

NULL means the deployment's single workspace (SLACK_BOT_TOKEN) or a platform with one tenant (Teams). Plain ADD
COLUMN, as in 0006, so 0003's case_search triggers on `cases` stay in place on SQLite.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("cases", "linked_reports")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("workspace_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "workspace_id")
