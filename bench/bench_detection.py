"""Latency of /anomalies?method=trailing&granularity=hour on a year of hourly data for 50 series
(438,000 records), and the cost of the ingest verdict on batch ingest.

Creates a scratch database on 127.0.0.1 (SENTINEL_BENCH_ADMIN_URL, default
postgresql://postgres@127.0.0.1:5432/postgres), loads the data through the real batch query
(with its rollup triggers), times the query layer's calls (the SQL the handlers run), and drops
the database.

    .venv/bin/python bench/bench_detection.py
"""

import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg

from eval_detectors import scratch_database
from sentinel.detection import detection_params
from sentinel.queries import Queries
from sentinel.schemas import BillingRecordIn

SERIES, HOURS, BATCH = 50, 365 * 24, 10_000


def records(hours: range, rng: random.Random) -> list[BillingRecordIn]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        BillingRecordIn(
            service=f"svc-{s:02d}",
            cost=round(rng.uniform(0.5, 1.5) * (1 + s / 10), 4),
            timestamp=start + timedelta(hours=h),
            region="us-east-1",
            account_id="111111111111",
        )
        for h in hours
        for s in range(SERIES)
    ]


async def run(url: str) -> None:
    queries, rng = Queries(), random.Random(1)
    async with await psycopg.AsyncConnection.connect(url) as conn:
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
        params = detection_params(method="trailing", granularity="hour")
        timings = []
        for _ in range(7):
            began = time.perf_counter()
            found = await queries.find_detected_anomalies(conn, params=params)
            timings.append(time.perf_counter() - began)
            await conn.rollback()
        print(
            f"method=trailing&granularity=hour: {len(found)} anomalies, "
            f"median {statistics.median(timings) * 1000:.0f} ms, "
            f"min {min(timings) * 1000:.0f} ms over 7 runs"
        )


def main() -> int:
    with scratch_database() as url:
        asyncio.run(run(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
