"""Dashboard benchmark: what the overview and the series view cost at a year of hourly data for
50 services (438,000 records, bench/sql/fill_billing_records.sql), the size issue 12 names.

- p50 and max of each API request a page makes, over --requests runs each;
- with Playwright and a Chromium on the machine (optional, not a dev dependency), the overview
  in a real browser: first contentful paint and the time until its chart is drawn, from a fresh
  browser context each run (no cache).

It creates a scratch database (`--prefix`) on the local server, starts `sentinel serve`
against it, and drops it at the end. Timings on a shared machine are upper bounds.

    .venv/bin/python bench/bench_dashboard.py
    .venv/bin/python bench/bench_dashboard.py --records 438000 --requests 20
"""

import argparse
import shutil
import statistics
import time

import httpx
import psycopg

from bench_api import BENCH_SQL, server
from scratch import scratch_database

OVERVIEW = [
    "/api/v1/billing/costs?granularity=day&group_by=service",
    "/api/v1/alerts?status=open&limit=1000",
]
SERIES = [
    "/api/v1/billing/summary",
    "/api/v1/billing/series?service=svc7",
    "/api/v1/billing/series?service=svc7&granularity=day&group_by=region"
    "&start=2025-10-02T00:00:00Z&end=2026-01-01T00:00:00Z",
]
CHART_DRAWN = "[data-testid=overview-chart][data-points] canvas"  # drawn by uPlot


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=438_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--browser-runs", type=int, default=5)
    parser.add_argument("--prefix", default="sentinel_bench_ui", help="scratch database prefix")
    return parser.parse_args()


def load(url: str, count: int) -> None:
    fill = (BENCH_SQL / "fill_billing_records.sql").read_text()
    with psycopg.connect(url) as conn:
        conn.execute(fill, {"count": count})
        conn.commit()
        conn.autocommit = True
        # As the server's background refresh would, before anyone looks; then the whole
        # database vacuumed, rollups too (the steady state autovacuum reaches).
        conn.execute("select sentinel.refresh_baselines()")
        conn.execute("vacuum analyze")


def time_requests(base: str, paths: list[str], runs: int) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        for path in paths:
            client.get(path).raise_for_status()  # warm: plans, caches
            seconds = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(path)
                seconds.append(time.perf_counter() - started)
                response.raise_for_status()
            print(
                f"  {path}: p50 {statistics.median(seconds) * 1000:.0f} ms, "
                f"max {max(seconds) * 1000:.0f} ms, {len(response.json()):,} rows"
            )


def time_overview_in_a_browser(base: str, runs: int) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  (no Playwright installed: the browser timing is skipped)")
        return
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        paints, drawn = [], []
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/ui/")
            page.wait_for_selector(CHART_DRAWN)
            # overview.js marks the moment its chart is drawn (performance.mark).
            timing = page.evaluate(
                """() => ({
                  paint: performance.getEntriesByName('first-contentful-paint')[0].startTime,
                  drawn: performance.getEntriesByName('overview-drawn')[0].startTime,
                })"""
            )
            paints.append(timing["paint"])
            drawn.append(timing["drawn"])
            context.close()
        browser.close()
    print(
        f"  overview in Chromium, {runs} fresh loads: first contentful paint p50 "
        f"{statistics.median(paints):.0f} ms (max {max(paints):.0f}); chart drawn p50 "
        f"{statistics.median(drawn):.0f} ms (max {max(drawn):.0f}), from the navigation's start"
    )


def main() -> None:
    args = parse_args()
    with scratch_database(prefix=args.prefix) as url:
        started = time.perf_counter()
        load(url, args.records)
        print(f"loaded {args.records:,} records in {time.perf_counter() - started:.1f} s")
        with server(url) as (base, _process):
            print("overview requests:")
            time_requests(base, OVERVIEW, args.requests)
            print("series view requests:")
            time_requests(base, SERIES, args.requests)
            time_overview_in_a_browser(base, args.browser_runs)


if __name__ == "__main__":
    main()
