"""What `sentinel` checks before it starts work, and the one-line messages it prints instead of
a traceback: bad settings named by their environment variable, an unreachable database named
by its host and port."""

import time

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import ValidationError

from sentinel.settings import Settings


class StartupError(Exception):
    """Sentinel cannot start: the message is one sentence for the operator."""


def environment_variable(field: str) -> str:
    """The variable an operator sets for a settings field (pydantic reports the field name)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    if isinstance(alias, str):
        return alias
    prefix = Settings.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def describe_settings_error(exc: ValidationError) -> str:
    """`SENTINEL_PORT: Input should be less than or equal to 65535`, one entry per problem."""
    problems = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = environment_variable(field) if field in Settings.model_fields else field
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{name}: {message}" if name else message)
    return "; ".join(problems)


def database_address(url: str) -> str:
    """host:port of a postgresql:// URL as libpq reads it (defaults included), no credentials."""
    params = conninfo_to_dict(url)
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    if host.startswith("/"):
        return f"the socket in {host} (port {port})"
    return f"{host}:{port}"


def _reason(exc: psycopg.OperationalError) -> str:
    """libpq's first line, without its preamble: 'Connection refused', 'timeout expired'."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first.rsplit("failed: ", 1)[-1].strip()


def check_database(url: str, *, timeout: float) -> None:
    """Connect once, within `timeout` seconds, or raise StartupError naming host and port.

    Without it, `serve --no-migrate` against a database that is down only fails once the pool
    gives up (30 s), with a traceback from deep inside the server's start-up.
    """
    began = time.monotonic()
    try:
        with psycopg.connect(url, connect_timeout=max(1, round(timeout))):
            return
    except psycopg.OperationalError as exc:
        seconds = time.monotonic() - began
        raise StartupError(
            f"cannot reach the database at {database_address(url)} (DATABASE_URL) "
            f"after {seconds:.1f} s: {_reason(exc)}"
        ) from None


def check_database_url(url: str) -> str:
    """The URL itself if libpq can use it, else ValueError saying why (never echoing it: it may
    hold a password)."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            "must be a URL postgresql://user:password@host:port/dbname "
            "(yoyo, the migrations and the tests' database names need the URL form)"
        )
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        reason = str(exc).strip().splitlines()[0].replace(f'"{url}"', "the URL")
        raise ValueError(f"not a valid PostgreSQL URL: {reason}") from None
    for port in str(params.get("port") or "5432").split(","):
        if not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"the port {port!r} is not a number between 1 and 65535")
    return url
