"""What the browser tests and `make screenshots` share: a real `sentinel serve` process, data
loaded the ways a user loads it (the CLI, the REST API), and a Chromium context that is cut off
from every host but the server and records console and page errors.

Chromium is Debian's (`apt-get install chromium`), never one Playwright downloads: the tests run
offline, and the dashboard must too.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from urllib.parse import urlsplit

import httpx

from tests.integration import live

BIN = Path(sys.executable).parent
DATA = Path(__file__).parent.parent / "data"
CHROMIUM_MISSING = (
    "Chromium not found (looked for `chromium` on PATH and /usr/bin/chromium): "
    "the browser tests drive Debian's Chromium; install it with `apt-get install chromium` "
    "(as root, or with sudo)."
)


def chromium_executable() -> str:
    """Debian's Chromium, or RuntimeError saying how to install it."""
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(found, os.X_OK):
        raise RuntimeError(CHROMIUM_MISSING)
    return found


@dataclass
class Server:
    base: str
    database_url: str
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params) -> httpx.Response:
        response = httpx.get(f"{self.base}{path}", params=params, headers=self.headers, timeout=60)
        response.raise_for_status()
        return response

    def post(self, path: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        headers = {**self.headers, **(headers or {})}
        response = httpx.post(f"{self.base}{path}", headers=headers, timeout=120, **kwargs)
        response.raise_for_status()
        return response


def sentinel(database_url: str, *args: str) -> str:
    """Run the `sentinel` command against database_url; its stdout."""
    done = subprocess.run(
        [str(BIN / "sentinel"), *args],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sentinel {' '.join(args)}: {done.stderr}")
    return done.stdout


def create_key(database_url: str, name: str, scope: str) -> str:
    """A new API key's token (the last line `sentinel keys create` prints)."""
    return sentinel(database_url, "keys", "create", "--name", name, "--scope", scope).split()[-1]


@contextmanager
def live_server(database_url: str, **settings: str) -> Iterator[Server]:
    """`sentinel serve` on 127.0.0.1 against database_url (tests/integration/live.py); settings
    are SENTINEL_<NAME> values.

    Baselines are refreshed and alerts evaluated every second (the server also evaluates at
    each commit), so a test waits for them in seconds."""
    with live.live_server(
        database_url,
        **{"baseline_refresh_seconds": "1", "alert_evaluation_seconds": "1", **settings},
    ) as (base, _):
        yield Server(base, database_url)


def load_mock_history(server: Server, *, windows: int = 3) -> int:
    """`windows` x 30 days of the mock generator ending now, through POST /billing/batch.

    Fixed seeds (as test_alerts does), so that the labelled spikes fall after the detector's
    two weeks of warm-up on every run and the default monitor raises alerts. Returns the count."""
    from sentinel.seed import generate_records

    end = datetime.now(UTC)
    stored = 0
    for seed in range(windows, 0, -1):
        records = generate_records(
            days=30, end=end - timedelta(days=30 * (seed - 1)), rng=Random(seed)
        )
        body = {"records": [record.model_dump(mode="json") for record in records]}
        server.post("/api/v1/billing/batch", json=body, headers={"prefer": "return=minimal"})
        stored += len(records)
    return stored


def add_open_spike(server: Server, service: str = "EC2", cost: float = 30.0) -> None:
    """One more charge in the newest hour of the mock history: an alert that stays open (no
    later bucket has come to close it)."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    record = {
        "service": service,
        "cost": cost,
        "timestamp": hour.isoformat(),
        "region": "us-east-1",
        "account_id": "123456789012",
    }
    server.post("/api/v1/billing/batch", json={"records": [record]})


def wait_for_alerts(server: Server, *, timeout: float = 90, **filters: str) -> list[dict]:
    """The alerts the server's evaluator raised (those matching filters, GET /alerts query
    parameters), once there are some."""
    deadline = time.monotonic() + timeout
    while True:
        alerts = server.get("/api/v1/alerts/", **filters).json()
        if alerts:
            return alerts
        if time.monotonic() > deadline:
            raise AssertionError(f"no alert raised within {timeout:.0f} s of loading the data")
        time.sleep(0.5)


@dataclass
class Guard:
    """A browser context's fence: requests to any origin but the server's are aborted and
    recorded, console errors and uncaught page errors are recorded. `check()` fails on any."""

    origin: str
    off_host: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Console errors a test expects (a 401 before the key is entered logs one in Chromium).
    allowed: list[re.Pattern] = field(default_factory=list)

    watched: list = field(default_factory=list)

    def attach(self, context) -> None:
        context.route("**/*", self._route)
        # Pages the app opens itself (none yet) are watched too.
        context.on("page", self.watch)

    def watch(self, page) -> None:
        if page in self.watched:
            return
        self.watched.append(page)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def _route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.off_host.append(url)
            route.abort("blockedbyclient")

    def _console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        if any(pattern.search(text) for pattern in self.allowed):
            return
        where = message.location.get("url", "")
        self.errors.append(f"console error: {text} ({where})")

    def check(self) -> None:
        assert not self.off_host, f"requests to other hosts than {self.origin}: {self.off_host}"
        assert not self.errors, "\n".join(self.errors)


def data_attr(page, testid: str, name: str):
    """A data-* attribute of a data-testid element, JSON-decoded when it is JSON."""
    value = page.get_attribute(f"[data-testid={testid}]", f"data-{name}")
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
