"""Fixtures for the reliability suite: module-scoped worlds (one expensive run, several named checks), Redis."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _ENV_PREFIXES


def pytest_collection_modifyitems(config, items):
    """A full-size run takes longer than the suite's 120 s per-test timeout."""
    from tests.reliability import sizes

    if sizes.current().name == "full":
        for item in items:
            if "tests/reliability/" in str(item.fspath):
                item.add_marker(pytest.mark.timeout(3600))


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    """The root conftest's environment cleaning, for fixtures that outlive one test."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(_ENV_PREFIXES) and name not in ("SWARM_TEST_DATABASE_URL",):
                patch.delenv(name)
        yield


def fresh_database_url(directory) -> str:
    """SQLite in `directory`, or the PostgreSQL of SWARM_TEST_DATABASE_URL with an empty public schema."""
    url = os.environ.get("SWARM_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{directory / 'caseswarm.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory) -> str:
    return fresh_database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on a free port (PLATFORM_NOTES), stopped after the test."""
    from tests.reliability.processes import start_redis

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (tests/run installs it: apt-get install redis-server)")
    with start_redis() as url:
        yield url
