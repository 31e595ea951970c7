"""Dashboard benchmark: what the overview and the series view cost at a year of hourly data for
50 services (438,000 records, bench/sql/fill_billing_records.sql), the size issue 12 names.

- p50 and max of each API request a page makes, over --requests runs each (the first paint in
  Chromium is bench_ui.py's).

It creates a scratch database (`--prefix`) on the local server, starts `sentinel serve`
against it, and drops it at the end. Timings on a shared machine are upper bounds.

    .venv/bin/python bench/bench_dashboard.py
    .venv/bin/python bench/bench_dashboard.py --records 438000 --requests 20
"""

import argparse
import statistics
import time

import httpx
import psycopg

from bench_api import BENCH_SQL, server, timed_gets
from scratch import PREFIX, scratch_database

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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=438_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--prefix", default=f"{PREFIX}_ui", help="scratch database prefix")
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
            seconds, response, _ = timed_gets(client, path, runs)
            print(
                f"  {path}: p50 {statistics.median(seconds) * 1000:.0f} ms, "
                f"max {max(seconds) * 1000:.0f} ms, {len(response.json()):,} rows"
            )


def main() -> None:
    args = parse_args()
    with scratch_database(prefix=args.prefix) as url:
        started = time.perf_counter()
        load(url, args.records)
        print(f"loaded {args.records:,} records in {time.perf_counter() - started:.1f} s")
        with server(url) as (base, _pid):
            print("overview requests:")
            time_requests(base, OVERVIEW, args.requests)
            print("series view requests:")
            time_requests(base, SERIES, args.requests)


if __name__ == "__main__":
    main()
