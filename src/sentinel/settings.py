"""Configuration, read from the environment (and an optional .env file)."""

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
