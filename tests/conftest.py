"""One PostgreSQL per test session, with the real migrations applied to a database of its own.

Where the server comes from (DESIGN.md): SENTINEL_TEST_DATABASE_URL when set, else a
postgres:16 container when a Docker daemon answers, else the embedded PostgreSQL 16 (or 18 with
SENTINEL_TEST_POSTGRES_VERSION=18).
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from sentinel.db import create_database, drop_database, url_for_database
from sentinel.migrations import apply_migrations


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextmanager
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("SENTINEL_TEST_DATABASE_URL"):
        yield url
    elif _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver=None) as container:
            yield container.get_connection_url()
    else:
        from sentinel.embedded import embedded_postgres

        version = int(os.environ.get("SENTINEL_TEST_POSTGRES_VERSION", "16"))
        with embedded_postgres(
            tmp_path_factory.mktemp("pg"), database="postgres", version=version
        ) as url:
            yield url


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _server(tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def new_database(server_url: str) -> Iterator:
    """A factory of empty databases on the test server, all dropped at the end of the session."""
    created: list[str] = []

    def create() -> str:
        name = f"sentinel_test_{uuid.uuid4().hex[:12]}"
        create_database(server_url, name)
        created.append(name)
        return url_for_database(server_url, name)

    yield create
    for name in created:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def database_url(new_database) -> str:
    """The session's database, migrated to the newest schema."""
    url = new_database()
    apply_migrations(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str):
    from sentinel.settings import Settings

    # No background refresh of stored baselines: tests decide when baselines go stale.
    return Settings(
        _env_file=None,
        database_url=database_url,
        migrate_on_start=False,
        baseline_refresh_seconds=0,
        # Tests evaluate alerts when they choose (sentinel.evaluate_alerts()).
        alert_evaluation_seconds=0,
        # Nor deliver notifications: the tests that do start a notifier of their own.
        notify_poll_seconds=0,
    )


@pytest.fixture(scope="session")
def app_client(settings) -> Iterator:
    from litestar.testing import TestClient

    from sentinel.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client(app_client, database_url: str):
    """The HTTP client, on an empty billing table."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate sentinel_data.billing_record restart identity")
    return app_client


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection whose changes are rolled back after the test."""
    with psycopg.connect(database_url) as conn:
        conn.execute("set time zone 'UTC'")
        yield conn
        conn.rollback()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def aconn(database_url: str):
    """An async connection (for the query wrappers) whose changes are rolled back."""
    conn = await psycopg.AsyncConnection.connect(database_url)
    try:
        await conn.execute("set time zone 'UTC'")
        yield conn
    finally:
        await conn.rollback()
        await conn.close()
