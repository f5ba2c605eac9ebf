"""The pinned summary's digest: a fingerprint of the case facts it was last rendered from, so a refresh that would
show the same thing (a fact that arrived before the summary was first posted, a second refresh of one change) costs
no chat.update call. Plain ADD COLUMN, as in 0006.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("summary_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "summary_digest")
