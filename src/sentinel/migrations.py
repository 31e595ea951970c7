"""The database's state and code: yoyo migrations for state, sql/schema/ rebuilt for code.

State (tables, indexes, constraints, roles, backfills) changes by migrations in migrations/, each
with its rollback, never edited once released. Code (the views and functions of the contract
schema `sentinel`, the internals in `sentinel_internal`, triggers) is not migrated: the files of
sql/schema/ are its current version, and they are built again whenever their checksum differs
from the one stored at the last build (as Flyway's repeatable migrations are). Pending
migrations and the rebuild run in one transaction, the code schemas dropped first, so that a
migration may change anything the code reads, and no session ever sees state without its code
(triggers included).
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from yoyo import get_backend, read_migrations
from yoyo.backends.base import DatabaseBackend
from yoyo.migrations import MigrationList, get_migration_hash

from sentinel.db import load_queries, resource_dir

# Migrations 0001-0012 of Sentinel 0.1 mixed state and code; 0013 holds the state they built.
LEGACY_IDS = (
    "0001.billing-records",
    "0002.statistics-views",
    "0003.reader-role",
    "0004.cost-series",
    "0005.detectors",
    "0006.detector-views",
    "0007.export-dimensions",
    "0008.import-views",
    "0010.service-totals",
    "0011.seasonal-root-spread",
    "0012.usage-records",
)
BASELINE_ID = "0013.state-baseline"


class MigrationError(RuntimeError):
    """The database cannot be brought to this version; the message says why."""


@dataclass(frozen=True)
class Migrated:
    applied: list[str]
    """The ids of the migrations applied, oldest first."""
    rebuilt: bool
    """Whether the code schemas were rebuilt from sql/schema/."""
    adopted: bool = False
    """Whether a database of migrations 0001-0012 was taken over (0013 marked applied)."""


def yoyo_url(database_url: str) -> str:
    """yoyo picks its driver from the URL scheme; psycopg 3 is `postgresql+psycopg`."""
    url, count = re.subn(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql+psycopg://", database_url)
    if not count:
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    return url


def schema_files() -> list[Path]:
    """The files of sql/schema/, in the order they are built (their NN_ prefixes)."""
    return sorted((resource_dir("sql") / "schema").glob("*.sql"))


def schema_checksum(files: list[Path]) -> str:
    """SHA-256 over the files' names and contents: any edit, rename or new file changes it."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _admin() -> dict[str, str]:
    return load_queries(resource_dir("sql") / "admin")


def _has_build_table(conn: psycopg.Connection, admin: dict[str, str]) -> bool:
    """Whether migration 0014 (the table of the last build) is in this database yet."""
    row = conn.execute(admin["schema_build_exists"]).fetchone()
    return bool(row and row[0])


def _built_checksum(conn: psycopg.Connection, admin: dict[str, str]) -> str | None:
    if not _has_build_table(conn, admin):
        return None
    row = conn.execute(admin["find_schema_build"]).fetchone()
    return row[0] if row else None


def _build_code(
    conn: psycopg.Connection, admin: dict[str, str], files: list[Path], checksum: str
) -> None:
    """Create the code schemas from the files, then record the build and mark every stored
    baseline stale: they derive from the code that was just replaced, and are recomputed
    lazily (the detectors compute stale services in full until a refresh has run)."""
    for path in files:
        try:
            conn.execute(path.read_text(encoding="utf-8"))
        except psycopg.Error as exc:
            raise MigrationError(f"sql/schema/{path.name}: {exc}") from exc
    conn.execute(admin["record_schema_build"], {"checksum": checksum})
    conn.execute(admin["mark_baselines_stale"])


def _adopt_legacy(backend: DatabaseBackend, migrations: MigrationList) -> bool:
    """A database built by migrations 0001-0012 already has the state of 0013: mark it applied."""
    applied = set(backend.get_applied_migration_hashes())
    baseline = next(m for m in migrations if m.id == BASELINE_ID)
    legacy = {get_migration_hash(legacy_id) for legacy_id in LEGACY_IDS}
    if baseline.hash in applied or not legacy & applied:
        return False
    if not legacy <= applied:
        raise MigrationError(
            "this database was migrated only part of the way by Sentinel 0.1 (migrations "
            "0001-0012): apply all of them with that version first"
        )
    backend.mark_migrations([baseline])
    return True


def apply_migrations(database_url: str) -> Migrated:
    """Apply every pending migration and rebuild the code when it changed, in one transaction."""
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(resource_dir("migrations")))
    files = schema_files()
    checksum = schema_checksum(files)
    admin = _admin()
    with backend.lock():
        adopted = _adopt_legacy(backend, migrations)
        pending = backend.to_apply(migrations)
        rebuilt = False
        with backend.transaction():
            conn = backend.connection
            if pending or _built_checksum(conn, admin) != checksum:
                conn.execute(admin["drop_code_schemas"])
                for migration in pending:
                    # Inside the open transaction, yoyo runs each migration in a savepoint.
                    migration.process_steps(backend, "apply")
                    backend.log_migration(migration, "apply")
                    backend.mark_one(migration, log=False)
                _build_code(conn, admin, files, checksum)
                rebuilt = True
    return Migrated([m.id for m in pending], rebuilt, adopted)


def rollback_migrations(database_url: str, *, count: int | None = 1) -> list[str]:
    """Roll back the newest `count` applied migrations (all of them when count is None).

    The code schemas are dropped with them: sql/schema/ describes the newest state only. The
    next apply_migrations (of whatever version is installed) builds them again.
    """
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(resource_dir("migrations")))
    with backend.lock():
        applied = backend.to_rollback(migrations)
        chosen = applied if count is None else applied[:count]
        if not chosen:
            return []
        admin = _admin()
        with backend.transaction():
            conn = backend.connection
            conn.execute(admin["drop_code_schemas"])
            if _has_build_table(conn, admin):
                conn.execute(admin["forget_schema_build"])
            for migration in chosen:
                migration.process_steps(backend, "rollback")
                backend.log_migration(migration, "rollback")
                backend.unmark_one(migration, log=False)
    return [m.id for m in chosen]


def pending_migrations(database_url: str) -> list[str]:
    """The ids of the migrations in migrations/ not yet applied to the database, oldest first,
    and "sql/schema" when the code schemas are not the build of this version's files.

    Read-only (no lock is taken): /health/ready asks it, and a server whose schema is behind
    its code must not say it is ready.
    """
    backend = get_backend(yoyo_url(database_url))
    try:
        migrations = read_migrations(str(resource_dir("migrations")))
        pending = [m.id for m in backend.to_apply(migrations)]
        # The code counts too: schemas built from other sql/schema/ files are not current.
        if _built_checksum(backend.connection, _admin()) != schema_checksum(schema_files()):
            pending.append("sql/schema")
        return pending
    finally:
        backend.connection.close()
