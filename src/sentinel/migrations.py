"""Schema migrations with yoyo: plain SQL files in migrations/, each with its rollback."""

import re

from yoyo import get_backend, read_migrations

from sentinel.db import resource_dir


def yoyo_url(database_url: str) -> str:
    """yoyo picks its driver from the URL scheme; psycopg 3 is `postgresql+psycopg`."""
    url, count = re.subn(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql+psycopg://", database_url)
    if not count:
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    return url


def apply_migrations(database_url: str) -> list[str]:
    """Apply every pending migration; returns the ids applied, oldest first."""
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(resource_dir("migrations")))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


def rollback_migrations(database_url: str, *, count: int | None = 1) -> list[str]:
    """Roll back the newest `count` applied migrations (all of them when count is None)."""
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(resource_dir("migrations")))
    with backend.lock():
        applied = backend.to_rollback(migrations)
        chosen = applied if count is None else applied[:count]
        backend.rollback_migrations(chosen)
    return [m.id for m in chosen]


def pending_migrations(database_url: str) -> list[str]:
    """The ids of the migrations in migrations/ not yet applied to the database, oldest first.

    Read-only (no lock is taken): /health/ready asks it, and a server whose schema is behind
    its code must not say it is ready.
    """
    backend = get_backend(yoyo_url(database_url))
    try:
        migrations = read_migrations(str(resource_dir("migrations")))
        return [m.id for m in backend.to_apply(migrations)]
    finally:
        backend.connection.close()
