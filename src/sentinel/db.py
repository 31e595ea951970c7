"""The query layer: SQL files loaded once at start-up, and the connection pool."""

import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

# Installed wheels carry sql/ and migrations/ inside the package; a source checkout
# (editable install, tests) has them at the top of the repository.
_PACKAGE_DIR = Path(str(resources.files("sentinel"))) / "resources"
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def resource_dir(name: str) -> Path:
    """The directory `sql` or `migrations`, wherever this installation keeps it."""
    for candidate in (_PACKAGE_DIR / name, _SOURCE_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Sentinel's {name}/ directory is missing from this installation")


class QueryFileError(Exception):
    """A .sql file that cannot serve as one query."""


# A semicolon followed by more SQL means a second statement. Comments and
# string literals are removed first so that a ';' inside them does not count.
_COMMENT_OR_STRING = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)


def load_queries(directory: Path) -> dict[str, str]:
    """Read every <name>.sql in `directory`: one statement each, keyed by file stem."""
    queries: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        code = _COMMENT_OR_STRING.sub(" ", text).strip().rstrip(";").strip()
        if not code:
            raise QueryFileError(f"{path}: no SQL statement")
        if ";" in code:
            raise QueryFileError(f"{path}: more than one statement; keep one per file")
        queries[path.stem] = text.strip().rstrip(";")
    return queries


# The server's sessions: timestamps leave the database in UTC whatever the server's zone; jit
# off, since compiling the detectors' large plans costs more than it saves (migration 0019).
# Benchmarks that time the server's statements open their connections with the same.
SESSION_OPTIONS = "-c TimeZone=UTC -c jit=off"


def create_pool(
    conninfo: str, *, min_size: int, max_size: int, timeout: float = 30.0
) -> AsyncConnectionPool:
    """A pool that is opened (and closed) by the application's lifespan.

    `timeout` is how long a request waits for a connection: short, so that an outage answers
    503 at once rather than after 30 s. Each connection is checked as it is handed out, so the
    first requests after a database restart do not get connections it has broken.
    """
    return AsyncConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        check=AsyncConnectionPool.check_connection,
        kwargs={"options": SESSION_OPTIONS, "application_name": "sentinel"},
        open=False,
    )


# Server administration (sql/admin/): creating the embedded server's database, and the scratch
# databases of the tests and benchmarks. Run outside a transaction, as create database must.


def _admin_sql(name: str) -> str:
    return load_queries(resource_dir("sql") / "admin")[name]


def database_exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url, autocommit=True) as conn:
        row = conn.execute(_admin_sql("database_exists"), {"name": name}).fetchone()
    return bool(row and row[0])


def create_database(server_url: str, name: str) -> None:
    statement = sql.SQL(_admin_sql("create_database")).format(database=sql.Identifier(name))
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(statement)


def drop_database(server_url: str, name: str) -> None:
    statement = sql.SQL(_admin_sql("drop_database")).format(database=sql.Identifier(name))
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(statement)


def url_for_database(server_url: str, name: str) -> str:
    """The same server's postgresql:// URL, pointing at database `name`."""
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()
