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


def _ports() -> list[int]:
    """SENTINEL_TEST_PORTS ("8620-8639") where a machine allows only some ports; else [0], the
    system's choice."""
    spec = os.environ.get("SENTINEL_TEST_PORTS")
    if not spec:
        return [0]
    low, _, high = spec.partition("-")
    return list(range(int(low), int(high or low) + 1))


def free_port() -> int:
    for port in _ports():
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in SENTINEL_TEST_PORTS={os.environ['SENTINEL_TEST_PORTS']}")


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
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
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
