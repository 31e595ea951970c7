"""The `sentinel` command: serve, migrate, seed, import, psql (keys, imports, reset: in
cli_admin.py; anomalies, monitors, alerts: in cli_detection.py).

Results go to stdout, errors to stderr, so that a piped listing holds data only."""

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from sentinel import cli_admin, cli_detection
from sentinel.embedded import (
    DatabaseUnavailable,
    Terminated,
    database_url,
    psql_executable,
    unwind_on_signals,
)
from sentinel.logs import configure_logging
from sentinel.migrations import BASELINE_ID, Migrated, apply_migrations, rollback_migrations
from sentinel.queries import Queries
from sentinel.seed import store_mock_records
from sentinel.settings import Settings
from sentinel.startup import StartupError, check_database, describe_settings_error

logger = logging.getLogger("sentinel.cli")


def _days(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 365:
        raise argparse.ArgumentTypeError("days must be between 1 and 365")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("port must be between 1 and 65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sentinel",
        description="Cloud cost anomaly detection on PostgreSQL. Configured by environment "
        "variables: DATABASE_URL, SENTINEL_HOST, SENTINEL_PORT, ... (see the README).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the REST API")
    serve.add_argument("--host", help="address to listen on (default: SENTINEL_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port (default: SENTINEL_PORT or 8000)")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not apply pending migrations at start"
    )

    migrate = commands.add_parser("migrate", help="apply pending schema migrations")
    migrate.add_argument(
        "--rollback", action="store_true", help="roll back the newest migration instead"
    )
    migrate.add_argument("--all", action="store_true", help="with --rollback: roll back all")

    seed = commands.add_parser("seed", help="store mock AWS billing data")
    seed.add_argument("--days", type=_days, default=30, help="days of hourly data, 1-365")
    seed.add_argument(
        "--force", action="store_true", help="seed even though imported records are stored"
    )

    cli_detection.add_commands(commands)

    commands.add_parser("psql", help="open psql on the configured database")

    imports = commands.add_parser(
        "import",
        help="import billing exports (AWS CUR, CUR 2.0, FOCUS, Azure; CSV, .gz, .zip, Parquet)",
    )
    imports.add_argument("files", nargs="+", type=Path, metavar="FILE", help="export files")
    cli_admin.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console()
    # Piped or redirected, a message is one line however long (a terminal wraps it).
    console.soft_wrap = not console.is_terminal
    errors = Console(stderr=True, soft_wrap=True)
    try:
        cli_detection.validate(args)
    except cli_detection.UsageError as exc:
        _fail(errors, "error", str(exc))
        return 2
    try:
        settings = Settings()
    except ValidationError as exc:
        _fail(errors, "invalid configuration", describe_settings_error(exc))
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    try:
        # SIGTERM and SIGHUP unwind like Ctrl-C, so the embedded PostgreSQL is stopped.
        with unwind_on_signals(), database_url(settings) as url:
            check_database(url, timeout=settings.connect_timeout)
            return _run(args, settings, url, console, errors)
    except Terminated as exc:
        return 128 + exc.signum
    except (DatabaseUnavailable, StartupError) as exc:
        _fail(errors, None, str(exc))
    except (
        psycopg.errors.UndefinedTable,
        psycopg.errors.UndefinedFunction,
        psycopg.errors.InvalidSchemaName,
    ):
        errors.print("[red]the database has no Sentinel schema yet: run `sentinel migrate`[/red]")
    except psycopg.OperationalError as exc:
        _fail(errors, "lost the database", str(exc).strip().splitlines()[0])
    except psycopg.errors.InsufficientPrivilege as exc:
        errors.print(
            f"[red]the database user may not do this:[/red] {escape(exc.diag.message_primary)}. "
            "Migrations need a user that can create schemas and roles (see the README)."
        )
    except psycopg.Error as exc:
        _fail(errors, "database error", exc.diag.message_primary or str(exc))
    except KeyboardInterrupt:
        return 130
    return 1


def _fail(console: Console, label: str | None, message: str) -> None:
    """One line, never wrapped, never read as rich markup (a URL may hold brackets)."""
    text = f"[red]{label}:[/red] {escape(message)}" if label else f"[red]{escape(message)}[/red]"
    console.print(text, soft_wrap=True)


def _run(
    args: argparse.Namespace, settings: Settings, url: str, console: Console, errors: Console
) -> int:
    # Migrations and reset run as the owner; the rest as DATABASE_URL (the application role).
    owner_url = settings.migration_database_url or url
    if args.command == "serve":
        return _serve(args, settings, url, console)
    if args.command in cli_admin.COMMANDS:
        return cli_admin.run(args, url, owner_url, console, errors)
    if args.command in cli_detection.COMMANDS:
        return cli_detection.run(args, url, console, errors)
    if args.command == "migrate":
        if args.rollback:
            done = rollback_migrations(owner_url, count=None if args.all else 1)
            console.print(f"rolled back {len(done)} migration(s): {', '.join(done) or '-'}")
        else:
            migrated = apply_migrations(owner_url)
            _print_migrated(migrated, console, quiet=False)
            if migrated.rebuilt:
                asyncio.run(_refresh_baselines(owner_url, console))
        return 0
    if args.command == "seed":
        count = asyncio.run(_seed(url, args.days, force=args.force))
        if count is None:
            errors.print(
                "[red]the database holds imported billing records; mock data would mix with "
                "them for good. Add --force to seed anyway[/red]"
            )
            return 1
        console.print(f"seeded {count} billing records over {args.days} days")
        return 0
    if args.command == "import":
        return asyncio.run(_import(url, args.files, console, errors))
    if args.command == "psql":
        return subprocess.call([psql_executable(settings), url], env=os.environ.copy())
    raise AssertionError(args.command)


def _serve(args: argparse.Namespace, settings: Settings, url: str, console: Console) -> int:
    import uvicorn

    from sentinel.app import create_app

    if settings.migrate_on_start and not args.no_migrate:
        # Stored baselines a rebuild marked stale are recomputed by the background refresh.
        _print_migrated(
            apply_migrations(settings.migration_database_url or url), console, quiet=True
        )
    host = args.host or settings.host
    port = args.port or settings.port
    # The address actually listened on decides whether API keys are required by default.
    app = create_app(settings.model_copy(update={"database_url": url, "host": host, "port": port}))
    # No logging config and no access log of uvicorn's own: sentinel.logs formats every line,
    # and its request line (with the request id) replaces the access log.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
    )
    return 0


async def _seed(url: str, days: int, *, force: bool) -> int | None:
    """Stores the mock records; None (nothing stored) when imported records are there."""
    queries = Queries()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        if not force and await queries.has_imported_records(conn):
            return None
        return await store_mock_records(conn, queries, days=days)


async def _import(url: str, files: list[Path], console: Console, errors: Console) -> int:
    """Each file in its own transaction: a bad file stores nothing and stops the run."""
    from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

    from sentinel.importers import ExportError, checksum, import_export, open_export

    queries = Queries()
    stored = replaced = unchanged = 0
    started = time.perf_counter()
    columns = (*Progress.get_default_columns(), MofNCompleteColumn(), TimeElapsedColumn())
    async with await psycopg.AsyncConnection.connect(url, options="-c TimeZone=UTC") as conn:
        with Progress(*columns, console=console, transient=True) as bar:
            for path in files:
                try:
                    export = open_export(path)
                    task = bar.add_task(path.name, total=export.total_rows)
                    result = await import_export(
                        conn,
                        queries,
                        export,
                        file_checksum=checksum(path),
                        progress=lambda rows, t=task: bar.update(t, completed=rows),
                    )
                except (ExportError, OSError) as exc:
                    bar.stop()
                    _fail(errors, "refused", str(exc))
                    errors.print(f"nothing from {path.name} was stored", markup=False)
                    return 1
                bar.update(task, completed=result.row_count, total=result.row_count)
                stored += result.row_count
                replaced += result.replaced_rows
                unchanged += result.status == "unchanged"
                console.print(
                    f"{path.name}: {result.format}, {result.status}, {result.row_count:,} rows"
                    + (f", replaced {result.replaced_rows:,}" if result.replaced_rows else "")
                    + (f" (same as import {result.unchanged_of})" if result.unchanged_of else "")
                )
        seconds = time.perf_counter() - started
        console.print(
            f"imported {len(files)} file(s): {stored:,} rows stored, {replaced:,} replaced, "
            f"{unchanged} unchanged, in {seconds:.1f} s ({stored / seconds:,.0f} rows/s)"
        )
        if stored or replaced:
            # The detectors' stored baselines of the imported hours are stale now; bringing
            # them up to date here costs the wait where the user expects one (an import), not
            # at the first detection call.
            await _refresh_with_status(conn, queries, console)
    return 0


async def _refresh_with_status(conn: psycopg.AsyncConnection, queries: Queries, console) -> None:
    began = time.perf_counter()
    with console.status("refreshing the detectors' stored baselines"):
        services = await queries.refresh_baselines(conn)
        await conn.commit()
    console.print(
        f"refreshed the stored baselines of {services} service(s) "
        f"in {time.perf_counter() - began:.1f} s"
    )


async def _refresh_baselines(url: str, console: Console) -> None:
    """After a rebuild of the code every stored baseline is stale: `sentinel migrate` brings
    them up to date at once, where an operator expects to wait."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await _refresh_with_status(conn, Queries(), console)


def _print_migrated(migrated: Migrated, console: Console, *, quiet: bool) -> None:
    """What a migrate did; with quiet, nothing when it did nothing (serve's start)."""
    if migrated.adopted:
        console.print(f"took over a database of Sentinel 0.1: {BASELINE_ID} marked applied")
    if migrated.applied or not quiet:
        done = ", ".join(migrated.applied) or "up to date"
        console.print(f"applied {len(migrated.applied)} migration(s): {done}")
    if migrated.rebuilt:
        console.print("rebuilt the schemas sentinel and sentinel_internal from sql/schema/")


if __name__ == "__main__":
    sys.exit(main())
