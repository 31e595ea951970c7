"""`sentinel serve` as a real process on 127.0.0.1 (uvicorn), for tests that need real sockets:
memory of the server process, client disconnects, concurrent uploads."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(database_url: str, **settings: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The server's base URL and process; `settings` are SENTINEL_<NAME> variables."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SENTINEL_BASELINE_REFRESH_SECONDS": "0",
        "SENTINEL_LOG_LEVEL": "warning",
        # No notifier unless asked for: a generated subscription must not send anything off
        # this machine.
        "SENTINEL_NOTIFY_POLL_SECONDS": "0",
        **{f"SENTINEL_{name.upper()}": value for name, value in settings.items()},
    }
    process = subprocess.Popen(
        [
            str(BIN / "sentinel"),
            "serve",
            "--no-migrate",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {process.stderr.read().decode()}")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
