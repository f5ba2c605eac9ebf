"""An index on the customer's name as cases are matched to it (trimmed, lowercased): every summary render counts
the customer's earlier cases (swarm/customer_history.py), which without it reads the whole cases table.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_customer_normalised", "cases", [sa.text("lower(trim(customer))")])


def downgrade() -> None:
    op.drop_index("ix_cases_customer_normalised", table_name="cases")
