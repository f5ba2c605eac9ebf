"""The WSGI entry point for production web servers (gunicorn, uWSGI), one per web process:

    gunicorn --workers 2 --threads 8 --bind 127.0.0.1:3000 'integrations.web.wsgi:create()'

Web processes only answer requests: background work runs in `swarm worker` processes (SWARM_QUEUE_URL=redis://...)
and the schema is migrated once per release by `swarm db upgrade`, never by several web processes racing at
start-up. A web process refuses to start on a schema older than its code, with the command that fixes it.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.engine import Engine


class SchemaOutOfDate(RuntimeError):
    """The database has not been migrated to what this release's code expects."""


def create() -> Flask:
    """Build the app from the environment (settings, config), once per process, after gunicorn forks."""
    from config.settings import load_settings
    from integrations.web.app import create_app
    from swarm.app.bootstrap import build, settle_long_running

    settings = load_settings()
    container = build(settings, migrate=False)
    require_current_schema(container.store.engine)
    app = create_app(container)
    settle_long_running(container)
    return app


def require_current_schema(engine: Engine) -> None:
    """Fail fast, naming the fix, when `swarm db upgrade` has not run for this release."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from swarm.store.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        raise SchemaOutOfDate(f"database schema is at revision {current or '(empty)'}, this release needs {head}: "
                              "run `swarm db upgrade` once, then start the web processes")
