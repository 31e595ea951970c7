"""Configuration, read from the environment (and an optional .env file)."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
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
    log_format: Literal["text", "json"] = "text"
    """Every log line of `sentinel` (uvicorn's, Litestar's, its own): text, or JSON lines."""

    connect_timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
    """Seconds `sentinel` waits for the database at start before it gives up, naming it."""

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: str | None) -> str | None:
        from sentinel.startup import check_database_url

        return check_database_url(value) if value else value
