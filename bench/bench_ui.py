"""The dashboard's first paint on a year of hourly data for 50 services (438,000 records).

A scratch database is filled by binary COPY into sentinel_data.billing_record (the rollup
triggers run as on any ingest), the stored baselines are refreshed and the monitors evaluated
once (so the server's evaluator is idle while we measure), then `sentinel serve` and Debian's
Chromium, offline. For each of --loads page loads, each in a fresh browser context (a first
visit: nothing cached), it records on the page's own clock (ms from navigation start):

- first contentful paint of the overview (PerformanceObserver, 'paint' entries);
- the overview chart drawn: when `[data-testid=overview-chart]` carries `data-points`;

and the median of each, with the overview's own API calls (resource timings: when the first
was sent, when the last was answered, how long GET /api/v1/billing/costs took) and a reference
taken in the same run, in the same browser: the first contentful paint of a static page of the
same server (/docs/openapi.json, rendered as text: no script, one request). Target (issue 12):
the overview drawn within 1 s.

    .venv/bin/python bench/bench_ui.py [--days 365] [--services 50] [--loads 7]
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from urllib.parse import urlsplit

import psycopg

# The offline browser context and the server process are the browser tests' (one home).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.harness import Guard, chromium_executable, live_server

from scratch import ADMIN_URL, PREFIX, scratch_database
from sentinel.db import load_queries
from sentinel.queries import Queries

SQL = load_queries(Path(__file__).parent / "sql")
CHART = "[data-testid=overview-chart][data-points]"
# Installed before any page script: the paint entries and the moment the chart gets its
# data-points, both on the page's clock.
PROBE = """
window.__paint = new Promise((resolve) => {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name === "first-contentful-paint") resolve(entry.startTime);
    }
  }).observe({ type: "paint", buffered: true });
});
window.__drawn = new Promise((resolve) => {
  const drawn = () => document.querySelector(CHART);
  new MutationObserver((_, observer) => {
    if (drawn()) { observer.disconnect(); resolve(performance.now()); }
  }).observe(document, { subtree: true, childList: true, attributes: true });
});
""".replace("CHART", json.dumps(CHART))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-url", default=ADMIN_URL, help="server for the scratch database")
    parser.add_argument("--prefix", default=PREFIX, help="scratch database name prefix")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--loads", type=int, default=7, help="page loads per figure")
    return parser.parse_args()


def hourly_rows(days: int, services: int, rng: Random):
    """Hourly spend ending at the current hour, per service, a day-and-week shape with noise
    (as baseline_hash.py draws it), yielded a day at a time."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=days * 24 - 1)
    for day in range(days):
        rows = []
        for hour in range(24):
            when = start + timedelta(hours=day * 24 + hour)
            shape = 1.0 + 0.5 * (8 <= when.hour < 20) - 0.3 * (when.weekday() >= 5)
            for service in range(services):
                cost = (1 + service / 10) * shape * rng.lognormvariate(0, 0.15)
                rows.append(
                    (
                        f"svc-{service:02d}",
                        Decimal(f"{cost:.4f}"),
                        when,
                        "us-east-1",
                        "111111111111",
                    )
                )
        yield rows


def load(url: str, days: int, services: int) -> None:
    began = time.perf_counter()
    count = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        week: list[tuple] = []
        for day, rows in enumerate(hourly_rows(days, services, Random(7)), start=1):
            week += rows
            if day % 7 and day != days:
                continue
            with cur.copy(SQL["copy_billing_records"]) as copy:
                copy.set_types(["text", "numeric", "timestamptz", "text", "text"])
                for row in week:
                    copy.write_row(row)
            conn.commit()
            count, week = count + len(week), []
    loaded = time.perf_counter() - began

    async def settle() -> None:
        queries = Queries()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as aconn:
            await queries.refresh_baselines(aconn)
            await queries.evaluate_alerts(aconn)

    began = time.perf_counter()
    asyncio.run(settle())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    print(
        f"data: {count:,} records ({services} services x {days} days hourly) by COPY in "
        f"{loaded:.1f} s (rollup triggers included); baselines refreshed and monitors "
        f"evaluated in {time.perf_counter() - began:.1f} s"
    )


def measure(browser, base: str, loads: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {
        name: [] for name in ("fcp", "drawn", "asked", "answered", "costs", "static")
    }
    for _ in range(loads + 1):  # the first load warms the server's caches and is dropped
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        guard = Guard(base)
        guard.attach(context)
        context.add_init_script(PROBE)
        page = context.new_page()
        guard.watch(page)
        page.goto(f"{base}/ui/")
        page.wait_for_selector(CHART, timeout=60_000)
        fcp, drawn = page.evaluate("Promise.all([window.__paint, window.__drawn])")
        # The overview's own API calls, from the page's resource timings.
        calls = page.evaluate(
            """() => performance.getEntriesByType("resource")
                .filter((entry) => entry.name.includes("/api/v1/"))
                .map((entry) => [entry.name, entry.startTime, entry.responseEnd])"""
        )
        costs = [end - start for name, start, end in calls if "/billing/costs" in name]
        for name, start, end in calls:
            figures.setdefault(urlsplit(name).path, []).append(end - start)
        page.goto(f"{base}/docs/openapi.json")
        static = page.evaluate("window.__paint")
        context.close()
        guard.check()
        values = {
            "fcp": fcp,
            "drawn": drawn,
            "asked": min(start for _, start, _ in calls),
            "answered": max(end for _, _, end in calls),
            "costs": costs[0],
            "static": static,
        }
        for name, value in values.items():
            figures[name].append(value)
    return {name: values[1:] for name, values in figures.items()}


def main() -> None:
    args = parse_args()
    from playwright.sync_api import sync_playwright

    try:
        executable = chromium_executable()
    except RuntimeError as error:
        sys.exit(str(error))
    with scratch_database(args.prefix, args.admin_url) as url:
        load(url, args.days, args.services)
        with (
            live_server(url, baseline_refresh_seconds="0") as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=executable)
            figures = measure(browser, server.base, args.loads)
            browser.close()
    p50 = {name: statistics.median(values) for name, values in figures.items()}
    print(
        f"overview, {args.services} services, median of {args.loads} fresh loads: "
        f"first contentful paint {p50['fcp']:.0f} ms, chart drawn {p50['drawn']:.0f} ms "
        f"(target <= 1000 ms: {'met' if p50['drawn'] <= 1000 else 'NOT met'})"
    )
    print(
        f"  on the way: first API call sent at {p50['asked']:.0f} ms, the last answered at "
        f"{p50['answered']:.0f} ms; the overview's GET /api/v1/billing/costs took "
        f"{p50['costs']:.0f} ms (drawn / costs {p50['drawn'] / p50['costs']:.1f}x)"
    )
    print(
        f"  reference: first paint of a static page of the same server (/docs/openapi.json) "
        f"{p50['static']:.0f} ms (overview paint / static {p50['fcp'] / p50['static']:.1f}x, "
        f"drawn / static {p50['drawn'] / p50['static']:.1f}x)"
    )
    calls = [name for name in figures if name.startswith("/api/")]
    print(
        "  the overview's API calls, median: "
        + ", ".join(f"{name} {statistics.median(figures[name]):.0f} ms" for name in calls)
    )
    print(
        "  each load, drawn: "
        + ", ".join(f"{value:.0f}" for value in figures["drawn"])
        + " ms; /costs: "
        + ", ".join(f"{value:.0f}" for value in figures["costs"])
        + " ms"
    )


if __name__ == "__main__":
    main()
