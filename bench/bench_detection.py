"""Latency of /anomalies?method=trailing&granularity=hour (and of the other methods) on a year of
hourly data for 50 series (438,000 records), the cost of the ingest verdict on batch ingest, and
the per-record cost of the rollup triggers of migration 0004: (a) appending the newest hour for
50 series, (b) loading history in 10k batches, each against the same inserts with the user
triggers disabled, and the deferred refresh of the stored baselines (sentinel.refresh_baselines):
once after the whole load, and after each appended hour.

Creates a scratch database on 127.0.0.1 (SENTINEL_BENCH_ADMIN_URL, default
postgresql://postgres@127.0.0.1:5432/postgres), loads the data through the real batch query
(with its rollup triggers), times the query layer's calls (the SQL the handlers run), and drops
the database.

    .venv/bin/python bench/bench_detection.py [--ingest-only]
"""

import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from scratch import scratch_database
from sentinel.db import SESSION_OPTIONS, load_queries
from sentinel.detection import METHODS, detection_params
from sentinel.queries import Queries

SERIES, HOURS, BATCH = 50, 365 * 24, 10_000


def records(hours: range, rng: random.Random) -> list[dict]:
    """Plain mappings, as the query layer's insert wrappers take them."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        {
            "service": f"svc-{s:02d}",
            "cost": round(rng.uniform(0.5, 1.5) * (1 + s / 10), 4),
            "timestamp": start + timedelta(hours=h),
            "region": "us-east-1",
            "account_id": "111111111111",
        }
        for h in hours
        for s in range(SERIES)
    ]


async def _read(result) -> list:
    """A wrapper's answer read whole: a list, or the pages of a streamed one."""
    if hasattr(result, "__aiter__"):
        return [row async for page in result for row in page]
    return await result


async def timed(conn, queries: Queries, find, params, runs: int) -> tuple[list, list[float]]:
    """The last result of find(params) and the seconds of each run, each as a handler does it:
    refresh the stale stored baselines (committed), then query."""
    timings: list[float] = []
    for _ in range(runs):
        began = time.perf_counter()
        await queries.refresh_baselines(conn)
        await conn.commit()
        found = await _read(find(conn, params=params))
        timings.append(time.perf_counter() - began)
        await conn.rollback()
    return found, timings


async def run(url: str, ingest_only: bool = False) -> None:
    queries, rng = Queries(), random.Random(1)
    async with await psycopg.AsyncConnection.connect(url, options=SESSION_OPTIONS) as conn:
        # Ingest: the year in batches of 10k, alternating the plain and the scored statement
        # per batch, so both see the same table sizes.
        step = BATCH // SERIES
        plain, scored = [], []
        for index, first in enumerate(range(0, HOURS, step)):
            batch = records(range(first, min(first + step, HOURS)), rng)
            began = time.perf_counter()
            if index % 2:
                await queries.insert_billing_records_scored(conn, records=batch)
                scored.append((time.perf_counter() - began) / len(batch))
            else:
                await queries.insert_billing_records(conn, records=batch)
                plain.append((time.perf_counter() - began) / len(batch))
            await conn.commit()
        p, s = statistics.median(plain) * 1e6, statistics.median(scored) * 1e6
        print(f"batch ingest, 10k records per batch, {SERIES * HOURS:,} records in all:")
        print(f"  plain insert (with rollup triggers): {p:.1f} us/record (median of batches)")
        print(
            f"  insert with ingest verdict:          {s:.1f} us/record ({(s / p - 1) * 100:+.0f}%)"
        )
        if ingest_only:
            return
        # The handlers refresh the stale stored baselines (committed) before each detection
        # query: the first call after the load pays for the whole year's refresh.
        began = time.perf_counter()
        refreshed = await queries.refresh_baselines(conn)
        await conn.commit()
        refresh = time.perf_counter() - began
        params = detection_params(method="trailing", granularity="hour")
        began = time.perf_counter()
        await _read(queries.find_detected_anomalies(conn, params=params))
        query = time.perf_counter() - began
        await conn.rollback()
        print(
            f"first /anomalies?method=trailing&granularity=hour after the load: "
            f"{(refresh + query) * 1000:.0f} ms (refresh of {refreshed} services "
            f"{refresh * 1000:.0f} ms + query {query * 1000:.0f} ms); steady state below "
            "(refresh, a no-op, included)"
        )
        for method in METHODS:
            params = detection_params(method=method, granularity="hour")
            runs = 7 if method == "trailing" else 2
            found, timings = await timed(
                conn, queries, queries.find_detected_anomalies, params, runs
            )
            print(
                f"method={method}&granularity=hour: {len(found)} anomalies, "
                f"median {statistics.median(timings) * 1000:.0f} ms, "
                f"min {min(timings) * 1000:.0f} ms over {len(timings)} runs"
            )
        # /anomalies/events without parameters: the recommended detector.
        params = detection_params(method=None)
        events, timings = await timed(conn, queries, queries.find_anomaly_events, params, 3)
        print(
            f"/anomalies/events (recommended method): {len(events)} events, "
            f"median {statistics.median(timings) * 1000:.0f} ms over {len(timings)} runs"
        )


def trigger_cost(url: str) -> None:
    """Per-record cost of (a) appending the newest hour and (b) loading history, with and
    without the user triggers (rollups, stored baselines, running totals)."""
    fill = load_queries(Path(__file__).resolve().parent / "sql")["eval_fill_hours"]
    with psycopg.connect(url, autocommit=True) as conn:
        for enabled in (True, False):
            conn.execute("truncate sentinel_data.billing_record")
            state = "enable" if enabled else "disable"
            conn.execute(f"alter table sentinel_data.billing_record {state} trigger user")
            history = []
            step = BATCH // SERIES
            for first in range(0, HOURS, step):
                last = min(first + step, HOURS) - 1
                began = time.perf_counter()
                conn.execute(fill, {"first_hour": first, "last_hour": last})
                history.append((time.perf_counter() - began) / ((last - first + 1) * SERIES))
            append = []
            for hour in range(HOURS, HOURS + 48):
                began = time.perf_counter()
                conn.execute(fill, {"first_hour": hour, "last_hour": hour})
                append.append((time.perf_counter() - began) / SERIES)
            print(
                f"triggers {state}d: (a) append newest hour x{SERIES}: "
                f"{statistics.median(append) * 1e6:.1f} us/record; (b) history in 10k batches: "
                f"{statistics.median(history) * 1e6:.1f} us/record (medians)"
            )
            if enabled:
                # The deferred part: one refresh of the whole load, then the newest hour
                # appended and refreshed at once (a reader polling every hour).
                records = (HOURS + 48) * SERIES
                began = time.perf_counter()
                conn.execute("select sentinel.refresh_baselines()")
                whole = time.perf_counter() - began
                polled = []
                for hour in range(HOURS + 48, HOURS + 96):
                    conn.execute(fill, {"first_hour": hour, "last_hour": hour})
                    began = time.perf_counter()
                    conn.execute("select sentinel.refresh_baselines()")
                    polled.append((time.perf_counter() - began) / SERIES)
                print(
                    f"  deferred refresh: the whole load at once {whole:.1f} s "
                    f"({whole / records * 1e6:.1f} us/record); after each appended hour "
                    f"{statistics.median(polled) * 1e6:.1f} us/record (median)"
                )
        conn.execute("alter table sentinel_data.billing_record enable trigger user")


def main() -> int:
    # --ingest-only: just the cost of the ingest verdict (the first lines).
    ingest_only = "--ingest-only" in sys.argv[1:]
    with scratch_database() as url:
        asyncio.run(run(url, ingest_only))
    if not ingest_only:
        with scratch_database() as url:
            trigger_cost(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
