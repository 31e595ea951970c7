"""A scratch database for a benchmark run: created, migrated, and dropped at the end.

Every bench script uses this so that they all read the same variable and all refuse to touch a
server that is not on this machine.
"""

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from sentinel.db import create_database, drop_database, url_for_database
from sentinel.migrations import apply_migrations

ADMIN_URL = os.environ.get(
    "SENTINEL_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# Where several people share one PostgreSQL server, each can keep to names of their own.
PREFIX = os.environ.get("SENTINEL_BENCH_PREFIX", "sentinel_bench")


@contextmanager
def scratch_database(prefix: str = PREFIX, admin_url: str = ADMIN_URL) -> Iterator[str]:
    """Yield the URL of a new, migrated database on admin_url's server; drop it afterwards."""
    # No host: a Unix socket (the embedded server), which is on this machine too.
    if urlsplit(admin_url).hostname not in (None, "127.0.0.1", "localhost", "::1"):
        sys.exit("refusing to create a scratch database anywhere but on this machine")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    create_database(admin_url, name)
    url = url_for_database(admin_url, name)
    try:
        apply_migrations(url)
        yield url
    finally:
        drop_database(admin_url, name)
