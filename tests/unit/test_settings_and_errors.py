"""Configuration from the environment, yoyo's URL scheme, and field names in error messages."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from sentinel.errors import field_name
from sentinel.migrations import yoyo_url
from sentinel.settings import Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No DATABASE_URL or SENTINEL_* from the machine running the tests."""
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("SENTINEL_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)

    assert settings.database_url is None  # the embedded PostgreSQL
    assert settings.data_dir == Path(".sentinel")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.migrate_on_start is True
    assert (settings.pool_min_size, settings.pool_max_size) == (1, 10)
    assert settings.max_body_size == 64 * 1024 * 1024
    assert settings.log_level == "info"


def test_database_url_is_read_without_prefix(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://u:p@db:5432/costs")

    assert Settings(_env_file=None).database_url == "postgresql://u:p@db:5432/costs"


def test_prefixed_database_url_is_read_too(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SENTINEL_DATABASE_URL", "postgresql://other/db")

    assert Settings(_env_file=None).database_url == "postgresql://other/db"


def test_sentinel_prefixed_variables(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SENTINEL_HOST", "0.0.0.0")
    clean_env.setenv("SENTINEL_PORT", "9100")
    clean_env.setenv("SENTINEL_DATA_DIR", "/var/lib/sentinel")
    clean_env.setenv("SENTINEL_MIGRATE_ON_START", "false")
    clean_env.setenv("SENTINEL_POOL_MAX_SIZE", "3")
    clean_env.setenv("SENTINEL_LOG_LEVEL", "debug")

    settings = Settings(_env_file=None)

    assert (settings.host, settings.port) == ("0.0.0.0", 9100)
    assert settings.data_dir == Path("/var/lib/sentinel")
    assert settings.migrate_on_start is False
    assert settings.pool_max_size == 3
    assert settings.log_level == "debug"


def test_unprefixed_port_is_not_read(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PORT", "9999")

    assert Settings(_env_file=None).port == 8000


@pytest.mark.parametrize("value", ["0", "65536", "http", "-1"])
def test_bad_port_is_refused(clean_env: pytest.MonkeyPatch, value: str) -> None:
    clean_env.setenv("SENTINEL_PORT", value)

    with pytest.raises(ValidationError, match="port"):
        Settings(_env_file=None)


def test_too_small_body_limit_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SENTINEL_MAX_BODY_SIZE", "100")

    with pytest.raises(ValidationError, match="max_body_size"):
        Settings(_env_file=None)


def test_env_file_is_read_and_environment_wins(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgresql://from-file/db\nSENTINEL_PORT=7000\n")
    clean_env.setenv("SENTINEL_PORT", "7001")

    settings = Settings(_env_file=env_file)

    assert settings.database_url == "postgresql://from-file/db"
    assert settings.port == 7001


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgres+asyncpg://h/d?sslmode=require", "postgresql+psycopg://h/d?sslmode=require"),
        (
            "postgresql:///d?host=/tmp/sock&port=5433",
            "postgresql+psycopg:///d?host=/tmp/sock&port=5433",
        ),
    ],
)
def test_yoyo_url_uses_psycopg3(url: str, expected: str) -> None:
    assert yoyo_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["", "host=localhost dbname=x", "mysql://u@h/d", "http://h/d", "xpostgresql://h/d"],
)
def test_yoyo_url_refuses_what_is_not_a_postgresql_url(url: str) -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        yoyo_url(url)


def test_yoyo_url_only_rewrites_the_scheme() -> None:
    url = "postgresql://u:postgres://x@h/d"
    assert yoyo_url(url) == "postgresql+psycopg://u:postgres://x@h/d"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("records.3.cost", "records[3].cost"),
        ("records.0.timestamp", "records[0].timestamp"),
        ("records.12", "records[12]"),
        ("records", "records"),
        ("cost", "cost"),
        ("a.b.c", "a.b.c"),
        ("matrix.1.2", "matrix[1][2]"),
        ("", "body"),
    ],
)
def test_field_name(key: str, expected: str) -> None:
    assert field_name(key) == expected


def test_the_readme_documents_every_setting_with_its_default() -> None:
    """Each field of Settings is a row of the README's configuration table, whose default
    column holds the field's default (numbers as written, booleans lower case)."""
    import re

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = {}
    for names, default in re.findall(
        r"^\| (`[A-Z_]+`(?: / `[A-Z_]+`)*) \| ([^|]*) \|", readme, re.M
    ):
        for name in re.findall(r"`([A-Z_]+)`", names):
            rows[name] = default
    for field, info in Settings.model_fields.items():
        variable = "DATABASE_URL" if field == "database_url" else f"SENTINEL_{field.upper()}"
        assert variable in rows, f"{variable} is not in the README's configuration table"
        default = info.default
        if default in (None, [], "") or field in ("auth", "migration_database_url"):
            continue  # documented in words (unset or empty, or derived from another setting)
        if isinstance(default, bool):
            shown = str(default).lower()
        elif isinstance(default, float) and default.is_integer():
            shown = str(int(default))
        else:
            shown = str(default)
        assert shown in rows[variable].replace(",", ""), (variable, shown, rows[variable])
