"""`make screenshots`: docs/screenshots/*.png, every dashboard page at 1280x800 (light, and the
overview in dark mode), on 90 days of mock billing and the CUR sample of tests/data.

It lives beside the browser tests because it is their harness (the server process, the data
loaders, the offline browser context) pointed at a camera: a page that logs an error or asks
another host for something fails here as it fails there. The database server is the tests'
(SENTINEL_TEST_DATABASE_URL, else an embedded PostgreSQL in a temporary directory); a scratch
database is made on it and dropped at the end.

    .venv/bin/python -m tests.browser.screenshots [--out docs/screenshots]
"""

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sentinel.db import create_database, drop_database, url_for_database
from sentinel.migrations import apply_migrations
from tests.browser.harness import (
    DATA,
    Guard,
    add_open_spike,
    chromium_executable,
    live_server,
    load_mock_history,
    wait_for_alerts,
)

ROOT = Path(__file__).resolve().parent.parent.parent
CUR_SAMPLE = DATA / "cur_oct2018_300.snappy.parquet"
VIEWPORT = {"width": 1280, "height": 800}


@contextmanager
def scratch_database() -> Iterator[str]:
    with ExitStack() as stack:
        if not (server_url := os.environ.get("SENTINEL_TEST_DATABASE_URL")):
            from sentinel.embedded import embedded_postgres

            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            server_url = stack.enter_context(embedded_postgres(scratch, database="postgres"))
        prefix = os.environ.get("SENTINEL_TEST_DATABASE_PREFIX", "sentinel_screenshots")
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        create_database(server_url, name)
        stack.callback(drop_database, server_url, name)
        url = url_for_database(server_url, name)
        apply_migrations(url)
        yield url


def around(alert: dict) -> str:
    """The series view of an alert's service, three days either side of it (as the alert
    page's link has it), so that the band and the flagged bucket show."""
    start = datetime.fromisoformat(alert["started_at"]) - timedelta(days=3)
    end = datetime.fromisoformat(alert["last_flagged_at"]) + timedelta(days=3)
    params = {"service": alert["service"], "granularity": alert["granularity"]}
    return urlencode({**params, "start": start.isoformat(), "end": end.isoformat()})


def pages(alert: dict) -> list[tuple[str, str, str, dict]]:
    """(file name, path, what shows the page is ready, context options)."""
    dark = {"color_scheme": "dark"}
    light = {"color_scheme": "light"}
    return [
        ("overview", "/ui/", "[data-testid=overview-chart][data-points]", light),
        (
            "series",
            f"/ui/#/series?{around(alert)}",
            "[data-testid=series-chart][data-points]",
            light,
        ),
        ("alerts", "/ui/#/alerts", "[data-testid=alerts-table] tbody tr", light),
        ("monitors", "/ui/#/monitors", "h1", light),
        ("imports", "/ui/#/imports", f"tr:has-text('{CUR_SAMPLE.name}')", light),
        ("docs", "/docs", ".swagger-ui .opblock", light),
        ("overview-dark", "/ui/", "[data-testid=overview-chart][data-points]", dark),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    problems: list[str] = []
    with scratch_database() as url, live_server(url) as server:
        load_mock_history(server)
        server.post(
            "/api/v1/billing/import",
            params={"filename": CUR_SAMPLE.name},
            content=CUR_SAMPLE.read_bytes(),
            headers={"content-type": "application/vnd.apache.parquet"},
        )
        add_open_spike(server)
        wait_for_alerts(server, status="open")
        # The series around a closed alert: its spike in the middle, context either side.
        closed = server.get("/api/v1/alerts/", status="closed").json()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable)
            for name, path, ready, options in pages(closed[0]):
                context = browser.new_context(viewport=VIEWPORT, **options)
                guard = Guard(server.base)
                guard.attach(context)
                page = context.new_page()
                guard.watch(page)
                page.goto(server.base + path)
                try:
                    page.locator(ready).first.wait_for(timeout=20_000)
                    page.wait_for_load_state("networkidle")
                except Exception as error:
                    problems.append(f"{name}: not ready ({ready}): {error}")
                target = args.out / f"{name}.png"
                page.screenshot(path=target)
                context.close()
                try:
                    guard.check()
                except AssertionError as error:
                    problems.append(f"{name}: {error}")
                print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1024:.0f} kB")
            browser.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
