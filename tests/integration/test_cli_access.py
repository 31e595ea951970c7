"""`sentinel keys`, `sentinel imports delete`, `sentinel reset`, `seed --force`, and migrations
as SENTINEL_MIGRATION_DATABASE_URL, against the session's database."""

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient

from sentinel.app import create_app
from sentinel.cli import main
from tests.integration.urls import as_role

from .access_helpers import CUR_PARQUET, bearer, scalar, truncate_all

COUNT = "select count(*) from sentinel_data.billing_record"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[str]:
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("SENTINEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.chdir(tmp_path)
    truncate_all(database_url)
    yield database_url
    truncate_all(database_url)


def test_keys_create_prints_the_token_alone_on_the_last_line(env: str, settings, capsys) -> None:
    assert main(["keys", "create", "--name", "ops", "--scope", "admin"]) == 0
    out = capsys.readouterr().out
    token = out.rstrip("\n").splitlines()[-1]
    assert token.startswith("sentinel_")
    assert token == token.strip()
    assert "ops" in out.splitlines()[0]
    # The printed token is a working admin key.
    secured = settings.model_copy(update={"auth": "required", "allow_seed": True})
    with TestClient(create_app(secured)) as client:
        assert client.get("/api/v1/keys", headers=bearer(token)).status_code == 200
        assert client.get("/api/v1/keys").status_code == 401

    assert main(["keys", "create", "--name", "ops", "--scope", "read"]) == 1
    assert "exists" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["keys", "create", "--name", "ops2", "--scope", "root"])
    capsys.readouterr()

    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ops" in listed
    assert "admin" in listed
    assert token not in listed
    assert token.split("_")[1] in listed  # the public prefix

    assert main(["keys", "revoke", "ops"]) == 0
    assert "revoked" in capsys.readouterr().out
    with TestClient(create_app(secured)) as client:
        assert client.get("/api/v1/keys", headers=bearer(token)).status_code == 401
    assert main(["keys", "revoke", "ops"]) == 1


def test_imports_delete(env: str, capsys) -> None:
    assert main(["import", str(CUR_PARQUET)]) == 0
    import_id = scalar(env, "select max(id) from sentinel_data.billing_import")
    assert scalar(env, COUNT) == 300
    capsys.readouterr()
    assert main(["imports", "delete", str(import_id)]) == 0
    assert f"deleted import {import_id} and its 300 record(s)" in capsys.readouterr().out
    assert scalar(env, COUNT) == 0
    assert scalar(env, "select count(*) from sentinel_data.billing_import") == 0
    assert main(["imports", "delete", str(import_id)]) == 1
    assert f"no import {import_id}" in capsys.readouterr().err


def test_seed_refuses_imported_data_unless_forced(env: str, capsys) -> None:
    assert main(["import", str(CUR_PARQUET)]) == 0
    assert main(["seed", "--days", "1"]) == 1
    assert "--force" in capsys.readouterr().err
    assert scalar(env, COUNT) == 300
    assert main(["seed", "--days", "1", "--force"]) == 0
    assert scalar(env, COUNT) == 300 + 144


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_reset_asks_on_a_terminal_and_needs_yes_elsewhere(env: str, monkeypatch, capsys) -> None:
    assert main(["import", str(CUR_PARQUET)]) == 0
    assert main(["keys", "create", "--name", "keep", "--scope", "read"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    assert main(["reset"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert scalar(env, COUNT) == 300

    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    assert main(["reset"]) == 1
    assert scalar(env, COUNT) == 300

    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    assert main(["reset"]) == 0
    assert scalar(env, COUNT) == 0
    assert scalar(env, "select count(*) from sentinel_data.billing_import") == 0
    assert scalar(env, "select count(*) from sentinel_data.service_totals") == 0
    assert scalar(env, "select count(*) from sentinel_data.api_key") == 1  # keys stay

    assert main(["seed", "--days", "1"]) == 0
    assert main(["reset", "--yes"]) == 0
    assert scalar(env, COUNT) == 0


def test_migrations_run_as_the_owner_while_the_rest_runs_as_the_app_role(
    new_database, server_url: str, monkeypatch, tmp_path: Path, capsys
) -> None:
    owner_url = new_database()
    role = f"sentinel_test_cli_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"create role {role} login")
    try:
        app_url = as_role(owner_url, role)
        for name in list(os.environ):
            if name == "DATABASE_URL" or name.startswith("SENTINEL_"):
                monkeypatch.delenv(name)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DATABASE_URL", app_url)
        # As the app role, migrations cannot run: it may create nothing.
        assert main(["migrate"]) == 1
        monkeypatch.setenv("SENTINEL_MIGRATION_DATABASE_URL", owner_url)
        assert main(["migrate"]) == 0
        assert "applied" in capsys.readouterr().out
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute(f"grant sentinel_app to {role}")
        assert main(["keys", "create", "--name", "first", "--scope", "admin"]) == 0
        assert scalar(owner_url, "select count(*) from sentinel_data.api_key") == 1
        assert main(["reset", "--yes"]) == 0  # truncate, as the owner
    finally:
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute(f"drop owned by {role}")
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"drop role {role}")
