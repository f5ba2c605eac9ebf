"""Alembic environment: runs against the connection handed over by swarm.store.migrate."""

from alembic import context

from swarm.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from swarm.store.db import make_engine

        with make_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      # not in the ORM's metadata: the full-text index (0003, kept by triggers) and the Slack
                      # installation tables (0007, slack_sdk's schema: integrations/slack/installations.py)
                      include_name=lambda name, type_, parent: not (type_ == "table" and (name or "").startswith(("case_search", "slack_"))))
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
