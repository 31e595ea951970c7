"""Ingest verdict overhead: plain insert vs the one-statement copy vs the shared stage, each with
JIT on (the server default) and off, alternated batch by batch on one database (bench_detection's
data: a year hourly x 50 services in 10k batches)."""

import asyncio
import random
import statistics
import sys
import time

sys.path.insert(0, "bench")
import psycopg
from psycopg.rows import class_row

from bench_detection import BATCH, HOURS, SERIES, records
from scratch import scratch_database
from sentinel.queries import Queries, _columns
from sentinel.schemas import ScoredBillingRecord


async def copy(q, conn, batch, jit):
    if not jit:
        await conn.execute("set local jit = off")
    async with conn.cursor(row_factory=class_row(ScoredBillingRecord)) as cur:
        await cur.execute(q._sql["insert_billing_records_scored"], _columns(batch))
        return await cur.fetchall()


async def shared(q, conn, batch, jit):
    if not jit:
        await conn.execute("set local jit = off")
    async with conn.cursor() as cur:
        await cur.execute(q._sql["insert_billing_records"], _columns(batch))
        ids = [row[0] for row in await cur.fetchall()]
    async with conn.cursor(row_factory=class_row(ScoredBillingRecord)) as cur:
        await cur.execute(q._sql["find_ingest_verdicts"], {"ids": ids})
        return await cur.fetchall()


async def plain(q, conn, batch, jit):
    return await q.insert_billing_records(conn, records=batch)


VARIANTS = [
    ("plain", plain, True),
    ("copy", copy, True),
    ("copy, jit off", copy, False),
    ("shared", shared, True),
    ("shared, jit off", shared, False),
]


async def run(url):
    q, rng = Queries(), random.Random(1)
    times = {name: [] for name, _, _ in VARIANTS}
    checked = 0
    async with await psycopg.AsyncConnection.connect(url) as conn:
        step = BATCH // SERIES
        for index, first in enumerate(range(0, HOURS, step)):
            batch = records(range(first, min(first + step, HOURS)), rng)
            if index % 10 == 5:  # the two verdicts agree (rolled back)
                a = await copy(q, conn, batch, True)
                await conn.rollback()
                b = await shared(q, conn, batch, False)
                await conn.rollback()

                def strip(rows):
                    return [
                        (r.service, r.cost, r.timestamp, r.z_score, r.expected, r.anomaly)
                        for r in rows
                    ]

                assert strip(a) == strip(b), "verdicts differ"
                checked += 1
            name, fn, jit = VARIANTS[index % len(VARIANTS)]
            began = time.perf_counter()
            await fn(q, conn, batch, jit)
            times[name].append((time.perf_counter() - began) / len(batch))
            await conn.commit()
    p = statistics.median(times["plain"]) * 1e6
    print(f"verdicts equal (copy vs shared) on {checked} batches")
    for name, t in times.items():
        m = statistics.median(t) * 1e6
        print(f"  {name:16} {m:6.1f} us/record ({(m / p - 1) * 100:+.0f}%), n={len(t)}")


with scratch_database("stages_ingest") as url:
    asyncio.run(run(url))
