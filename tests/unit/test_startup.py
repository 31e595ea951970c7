"""Start-up failures are one line naming what to fix: the variable, or the database's host and
port; never a traceback, and never a password."""

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from sentinel.cli import main
from sentinel.settings import Settings
from sentinel.startup import describe_settings_error, environment_variable


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("SENTINEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "60")  # narrow: a wrapped message would show as two lines
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def _one_line(out: str) -> str:
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert "Traceback" not in out
    return lines[0]


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("port", "SENTINEL_PORT"),
        ("database_url", "DATABASE_URL"),
        ("data_dir", "SENTINEL_DATA_DIR"),
    ],
)
def test_fields_are_named_by_their_variable(field: str, variable: str) -> None:
    assert environment_variable(field) == variable


def test_a_bad_port_names_sentinel_port(env) -> None:
    env.setenv("SENTINEL_PORT", "65536")
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None)

    assert describe_settings_error(exc.value) == (
        "SENTINEL_PORT: Input should be less than or equal to 65535"
    )


def test_every_bad_setting_is_listed(env) -> None:
    env.setenv("SENTINEL_PORT", "http")
    env.setenv("SENTINEL_POOL_MAX_SIZE", "0")
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None)

    text = describe_settings_error(exc.value)
    assert "SENTINEL_PORT: Input should be a valid integer" in text
    assert "SENTINEL_POOL_MAX_SIZE: Input should be greater than or equal to 1" in text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "DATABASE_URL: must be a URL postgresql://"),
        ("mysql://u:secret@h/d", "DATABASE_URL: must be a URL postgresql://"),
        ("postgresql://u:secret@h:abc/d", "DATABASE_URL: the port 'abc' is not a number"),
        ("postgresql://u:secret@h:70000/d", "DATABASE_URL: the port '70000' is not a number"),
        ("postgresql://u:secret@[::1/d", "DATABASE_URL: not a valid PostgreSQL URL"),
    ],
)
def test_a_malformed_database_url_is_one_line(env, capsys, url: str, message: str) -> None:
    env.setenv("DATABASE_URL", url)

    assert main(["serve", "--no-migrate"]) == 2

    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"invalid configuration: {message}")
    assert "secret" not in line


def test_a_refused_connection_names_host_and_port(env, capsys) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env.setenv("DATABASE_URL", f"postgresql://nobody:secret@127.0.0.1:{port}/nothing")

    assert main(["serve", "--no-migrate"]) == 1

    line = _one_line(capsys.readouterr().err)
    assert f"cannot reach the database at 127.0.0.1:{port} (DATABASE_URL)" in line
    assert "Connection refused" in line
    assert "secret" not in line


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never answers: a database that hangs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", [["serve", "--no-migrate"], ["migrate"]])
def test_a_silent_database_fails_within_the_connect_timeout(
    env, capsys, silent_server: int, command: list[str]
) -> None:
    env.setenv("DATABASE_URL", f"postgresql://u@127.0.0.1:{silent_server}/d")
    env.setenv("SENTINEL_CONNECT_TIMEOUT", "1")  # libpq waits at least 2 s
    began = time.monotonic()

    assert main(command) == 1

    assert time.monotonic() - began < 4
    line = _one_line(capsys.readouterr().err)
    assert f"cannot reach the database at 127.0.0.1:{silent_server}" in line
    assert "timeout expired" in line


def test_a_bad_port_argument_is_a_usage_error(env, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--port", "70000"])

    assert exc.value.code == 2
    assert "port must be between 1 and 65535" in capsys.readouterr().err
