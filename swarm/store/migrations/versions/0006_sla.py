"""SLA clock: the state each case's engage and resolve clocks were last seen in (on_track | at_risk | breached)

The sweep compares the state it computes with these columns and refreshes the pinned summary only when they differ.
Which reminders and breach notices went out needs no column: their unique workflow keys (`sla:<case>:engage:50`)
record it.

Plain ALTER TABLE ADD/DROP COLUMN, never a batch rebuild of `cases`, so 0003's case_search triggers stay in place
on SQLite.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("sla_engage_state", "sla_resolve_state")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("cases", sa.Column(name, sa.String(length=20), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it), not a batch rebuild that would drop 0003's triggers on `cases`.
    for name in reversed(COLUMNS):
        op.drop_column("cases", name)
