"""Configuration, read from the environment (and an optional .env file)."""

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# SENTINEL_SMTP_URL's schemes and the port each means when the URL gives none.
SMTP_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class Settings(BaseSettings):
    """Every knob of Sentinel. Environment variables are SENTINEL_<NAME>, except DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="SENTINEL_", env_file=".env", extra="ignore")

    database_url: Annotated[
        str | None,
        Field(validation_alias=AliasChoices("DATABASE_URL", "SENTINEL_DATABASE_URL")),
    ] = None
    """postgresql://user:password@host:port/dbname. Unset: an embedded PostgreSQL 16."""

    data_dir: Path = Path(".sentinel")
    """Where the embedded PostgreSQL keeps its data (only when DATABASE_URL is unset)."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    migrate_on_start: bool = True
    """`sentinel serve` applies pending migrations before it listens."""

    pool_min_size: Annotated[int, Field(ge=0)] = 1
    pool_max_size: Annotated[int, Field(ge=1)] = 10
    max_body_size: Annotated[int, Field(ge=1024)] = 64 * 1024 * 1024
    """Largest request body accepted, in bytes (a batch of 100k records is about 15 MB)."""

    baseline_refresh_seconds: Annotated[float, Field(ge=0)] = 10.0
    """How often `sentinel serve` refreshes stale stored baselines in the background (0: never;
    the detection endpoints still refresh before they read)."""

    alert_evaluation_seconds: Annotated[float, Field(ge=0)] = 60.0
    """How often `sentinel serve` evaluates the monitors when no commit woke it (it also
    evaluates right after each commit that changed billing records); 0: never."""

    notify_poll_seconds: Annotated[float, Field(ge=0)] = 30.0
    """How often `sentinel serve`'s notifier looks for due messages and digests when no commit
    woke it (a commit that writes messages wakes it at once); 0: the server sends nothing."""

    notify_retry_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    """The wait before the first retry of a failed delivery; it doubles at each retry, to an
    hour at most."""

    notify_max_attempts: Annotated[int, Field(ge=1, le=100)] = 12
    """Attempts of one message before it is marked failed (12 at the defaults: about 5.5 h)."""

    notify_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    """Seconds one delivery (HTTP request or SMTP session) may take."""

    smtp_url: str | None = None
    """Where email goes: smtp://[user:password@]host[:port] (plain; 25), smtp+starttls://
    (587) or smtps:// (TLS; 465). Unset: email subscriptions are refused."""

    smtp_from: str = "sentinel@localhost"
    """The From address of Sentinel's email."""

    log_level: str = "info"

    # Bounded work (README "Limits"). Sizes in bytes, times in seconds.
    max_import_size: Annotated[int, Field(ge=1024)] = 4 << 30
    """Largest upload to /import, in bytes as received (compressed)."""
    max_import_expanded_size: Annotated[int, Field(ge=1024)] = 32 << 30
    """Largest decompressed size of an upload (gzip or zip), in bytes."""
    max_import_ratio: Annotated[float, Field(ge=1)] = 100.0
    """Largest decompressed/compressed ratio, checked once 64 MiB have been decompressed:
    billing CSV compresses 10-30 times, a gzip bomb hundreds to a thousand times."""
    max_import_line: Annotated[int, Field(ge=1024)] = 256 << 10
    """Longest line of an uploaded CSV, in bytes (a CUR line with many tags is some 10 kB)."""
    max_concurrent_imports: Annotated[int, Field(ge=1)] = 2
    """Imports running at once; one more is answered 503 with Retry-After."""
    statement_timeout: Annotated[float, Field(gt=0)] = 30.0
    """Time limit of each statement of reads and writes (0 is not allowed: always bounded)."""
    detection_timeout: Annotated[float, Field(gt=0)] = 120.0
    """Time limit of each statement of the detection endpoints (/anomalies, /anomalies/events)."""
    import_timeout: Annotated[float, Field(gt=0)] = 3600.0
    """Time limit of each statement of an import (its COPY lasts as long as the upload)."""
    pool_timeout: Annotated[float, Field(gt=0)] = 3.0
    """How long a request waits for a database connection before its 503."""
    ready_timeout: Annotated[float, Field(gt=0)] = 2.0
    """Time limit of /health/ready's database checks."""

    log_format: Literal["text", "json"] = "text"
    """Every log line of `sentinel` (uvicorn's, Litestar's, its own): text, or JSON lines."""

    connect_timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
    """Seconds `sentinel` waits for the database at start before it gives up, naming it."""

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: str | None) -> str | None:
        from sentinel.startup import check_database_url

        return check_database_url(value) if value else value

    # Access (README: "Access and API keys").
    auth: Literal["required", "off"] | None = None
    """API keys required or not. Unset: required unless `host` is a loopback address."""

    allow_seed: bool = False
    """POST /seed (mock data) while API keys are required; off, so that a production server
    cannot be filled with mock data by a stray call."""

    cors_origins: Annotated[list[str], NoDecode] = []
    """Origins (scheme://host[:port], comma-separated) allowed to call the API from a browser."""

    public_url: str | None = None
    """The server's URL as clients reach it (https://sentinel.example): links in responses are
    built from it; unset, they are relative. Never taken from the Host header."""

    migration_database_url: str | None = None
    """Where migrations (and `sentinel reset`) connect, as the owner, when `sentinel serve` runs
    as an application role (DATABASE_URL). Unset: DATABASE_URL."""

    @property
    def auth_required(self) -> bool:
        if self.auth is not None:
            return self.auth == "required"
        return not is_loopback(self.host)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        return [origin_of(origin, "an origin") for origin in value]

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in SMTP_PORTS or not parts.hostname:
            raise ValueError(
                "must be smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(
                "must be an http(s) URL without a query, e.g. https://sentinel.example"
            )
        return value.rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether listening on `host` reaches only this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_of(url: str, what: str = "a URL") -> str:
    """scheme://host[:port] of an http(s) URL, lowercased, as browsers send it in Origin."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not {what} like https://host[:port]")
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}".lower()
