"""HTTP batch ingest against a raw binary COPY of the same rows into a bare table (issue 13).

One client POSTs the records to `/api/v1/billing/batch` of a running `sentinel serve`, 10k a
request with `Prefer: return=minimal` (whatever the server then does with them: COPY, triggers,
partitions). The reference writes the same rows, already Python values (it pays no JSON), with
psycopg's binary COPY (`write_row`, `set_types`) into a table of the same five columns with no
key, default, constraint, index or trigger (sql/plain_table.sql), 10k a transaction as the
requests are. Each round runs the HTTP load and then the reference; the database is emptied
with `sentinel reset --yes` before each HTTP load. Printed: each round's rates and ratio
(HTTP records/s / COPY rows/s), the median ratio, and the server's peak RSS during each HTTP
load (Linux only, peak_rss.py). The server's background work is off (bench_api.server): the
alert evaluation that each commit wakes would compete with the next request at random.

Two data shapes (`records` below): `hourly` line items as exports carry them, and the `minute`
stream, one record per service per minute, where nearly every record opens a new service-hour
(the rollups' worst case). Targets (issue 13): hourly >= 0.2, minute >= 0.12.

`--profile` then times the steps of a 10k request in this process, on five batches of the same
shape, each step on the same batches into an emptied database, in `--rounds` rounds: JSON
decoding (msgspec, as Litestar does), validation (pydantic, `BillingBatchIn.model_validate` as
Litestar's plugin calls it), and the store (`Queries.copy_new_billing_records`: COPY text
formatting, shown apart, and the COPY with the table's indexes and triggers), the store again
with the table's triggers off, and the reference COPY; the request's remainder is HTTP and the
framework.

    .venv/bin/python bench/bench_ingest.py [--records 100000] [--rounds 3] [--profile]

Ports: SENTINEL_TEST_PORTS ("18600-18649") where only some may be used, as for the tests.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import msgspec
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.live import BIN

from bench_api import BENCH_SQL, server
from peak_rss import peak_during
from scratch import ADMIN_URL, scratch_database

BATCH = 10_000
SHAPES = ("hourly", "minute")
COPY_TYPES = ["text", "numeric", "timestamptz", "text", "text"]


def records(count: int, shape: str = "minute") -> list[dict]:
    """Billing records in one of two shapes (see bench/README.md).

    minute: one record a minute, round robin over 50 services, 4 regions and 3 accounts, so
    nearly every record opens its own hour of its own series (the rollups' worst case);
    hourly: hourly line items as exports have them, 200 per service and hour (50 services).
    """
    start = datetime(2025, 1, 1, tzinfo=UTC)
    if shape == "hourly":
        return [
            {
                "service": f"svc{i // 200 % 50}",
                "cost": round(0.05 + (i * 7919 % 1000) / 400, 4),
                "timestamp": (start + timedelta(hours=i // 10_000)).isoformat(),
                "region": f"region-{i % 4}",
                "account_id": f"acct-{i % 3}",
            }
            for i in range(count)
        ]
    return [
        {
            "service": f"svc{i % 50}",
            "cost": round(10 + (i * 7919 % 1000) / 250, 4),
            "timestamp": (start + timedelta(minutes=i)).isoformat(),
            "region": f"region-{i % 4}",
            "account_id": f"acct-{i % 3}",
        }
        for i in range(count)
    ]


def copy_tuples(rows: list[dict]) -> list[tuple]:
    """The records as Python values ready for a binary COPY, as a tuned loader would have them
    (the reference starts there, so it pays no JSON parsing)."""
    return [
        (
            row["service"],
            Decimal(repr(row["cost"])),
            datetime.fromisoformat(row["timestamp"]),
            row["region"],
            row["account_id"],
        )
        for row in rows
    ]


def bodies(rows: list[dict]) -> list[bytes]:
    return [
        json.dumps({"records": rows[i : i + BATCH]}).encode() for i in range(0, len(rows), BATCH)
    ]


def reset(url: str) -> None:
    """Every record and import deleted, through the command an operator has for it."""
    env = {**os.environ, "DATABASE_URL": url, "SENTINEL_LOG_LEVEL": "warning"}
    subprocess.run(
        [str(BIN / "sentinel"), "reset", "--yes"], env=env, check=True, stdout=subprocess.DEVNULL
    )


def post_each(base: str, payloads: list[bytes]) -> list[float]:
    """Seconds of each POST of the bodies, one after the other, on one connection."""
    headers = {"content-type": "application/json", "prefer": "return=minimal"}
    seconds = []
    with httpx.Client(timeout=300) as client:
        for body in payloads:
            started = time.perf_counter()
            response = client.post(f"{base}/api/v1/billing/batch", content=body, headers=headers)
            seconds.append(time.perf_counter() - started)
            response.raise_for_status()
    return seconds


def post_all(base: str, payloads: list[bytes]) -> float:
    return sum(post_each(base, payloads))


def stored_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from sentinel_data.billing_record").fetchone()[0]


def timed_copy(url: str, copy_sql: str, rows: list[tuple], batch: int = BATCH) -> float:
    """Seconds to binary-COPY the five-column rows with copy_sql, one commit per `batch` rows."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            with cur.copy(copy_sql) as copy:
                copy.set_types(COPY_TYPES)
                for row in rows[start : start + batch]:
                    copy.write_row(row)
            conn.commit()
        return time.perf_counter() - started


def copy_plain(url: str, rows: list[tuple], batch: int = BATCH) -> float:
    """Seconds to COPY rows into the emptied bare table of plain_table.sql, `batch` a commit."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("truncate sentinel_data.bench_plain")
    return timed_copy(url, (BENCH_SQL / "copy_plain_table.sql").read_text(), rows, batch)


def bench_shape(url: str, base: str, pid: int, shape: str, count: int, rounds: int) -> None:
    rows = records(count, shape)
    payloads, tuples = bodies(rows), copy_tuples(rows)
    ratios = []
    print(f"\n{shape} shape: {count:,} records, {BATCH:,} a request / a COPY transaction")
    print(f"{'round':<6}{'HTTP rec/s':>12}{'COPY rows/s':>13}{'ratio':>7}  server during HTTP")
    for number in range(1, rounds + 1):
        reset(url)
        with peak_during(pid) as peak:
            http = post_all(base, payloads)
        if (stored := stored_count(url)) != count:
            raise RuntimeError(f"{stored:,} records stored of {count:,}")
        plain = copy_plain(url, tuples)
        ratios.append(plain / http)
        print(
            f"{number:<6}{count / http:>12,.0f}{count / plain:>13,.0f}{plain / http:>7.3f}  {peak}"
        )
    target = {"hourly": 0.2, "minute": 0.12}[shape]
    print(f"median ratio {statistics.median(ratios):.3f} (target >= {target})")


def seconds_of(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


async def store_each(url: str, batches: list[list]) -> list[float]:
    """Seconds of the server's store step for each batch, each committed (as its request)."""
    from sentinel.queries import Queries

    queries, seconds = Queries(), []
    async with await psycopg.AsyncConnection.connect(url) as conn:
        for batch in batches:
            started = time.perf_counter()
            await queries.copy_new_billing_records(conn, records=batch)
            await conn.commit()
            seconds.append(time.perf_counter() - started)
    return seconds


def profile(url: str, base: str, shape: str, rounds: int, requests: int = 5) -> None:
    """Where one request's time goes (see the module's docstring): each step timed on the same
    `requests` batches, one after the other into an emptied database as requests come, in
    `rounds` rounds; the medians."""
    from sentinel import queries as server_queries
    from sentinel.schemas import BillingBatchIn

    rows = records(BATCH * requests, shape)
    payloads, tuples = bodies(rows), copy_tuples(rows)
    decoded = [msgspec.json.decode(body) for body in payloads]
    validated = [BillingBatchIn.model_validate(batch).records for batch in decoded]
    # The server's COPY text formatting, a private helper today: left out when it is gone.
    copy_text = getattr(server_queries, "_copy_text", None)
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for body, batch, fields in zip(payloads, decoded, validated, strict=True):
            samples["decode"].append(seconds_of(lambda b=body: msgspec.json.decode(b)))
            samples["validate"].append(seconds_of(lambda b=batch: BillingBatchIn.model_validate(b)))
            if copy_text:
                samples["format"].append(seconds_of(lambda f=fields: copy_text(f)))
        reset(url)
        samples["request"] += post_each(base, payloads)
        reset(url)
        samples["store"] += asyncio.run(store_each(url, validated))
        reset(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute((BENCH_SQL / "disable_triggers.sql").read_text())
        try:
            samples["untriggered"] += asyncio.run(store_each(url, validated))
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("alter table sentinel_data.billing_record enable trigger user")
        samples["plain"].append(copy_plain(url, tuples) / requests)
    median = {step: statistics.median(values) for step, values in samples.items()}
    request = median["request"]
    steps = [
        ("HTTP request, whole (client's clock)", request),
        ("  JSON decoding (msgspec)", median["decode"]),
        ("  validation (pydantic BillingBatchIn)", median["validate"]),
        ("  store (Queries.copy_new_billing_records)", median["store"]),
    ]
    if "format" in median:
        steps.append(("    COPY text formatting (queries._copy_text)", median["format"]))
    steps += [
        (
            "    COPY into the table, its key and indexes",
            median["untriggered"] - median.get("format", 0),
        ),
        (
            "    the triggers (the store with them off: less)",
            median["store"] - median["untriggered"],
        ),
        (
            "  the rest: HTTP, framework (request - the above)",
            request - median["decode"] - median["validate"] - median["store"],
        ),
        ("reference: binary COPY into the bare table", median["plain"]),
    ]
    per = 1e6 / BATCH
    print(
        f"\n{shape} shape, a request of {BATCH:,} records, medians of {rounds} x {requests}"
        " (us per record, share of the request)"
    )
    for label, seconds in steps:
        print(f"{label:<52}{seconds * per:>8.1f}{100 * seconds / request:>7.0f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--records", type=int, default=100_000, help="records per load")
    parser.add_argument("--rounds", type=int, default=3, help="HTTP + reference loads per shape")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="hourly, minute or both")
    parser.add_argument("--profile", action="store_true", help="then time one request's steps")
    parser.add_argument(
        "--without-triggers",
        action="store_true",
        help="diagnostic: the rollup triggers off, to see the HTTP path's own cost",
    )
    args = parser.parse_args()
    shapes = [shape for shape in args.shapes.split(",") if shape]
    with scratch_database(admin_url=args.admin_url) as url, server(url) as (base, pid):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute((BENCH_SQL / "plain_table.sql").read_text())
            if args.without_triggers:
                conn.execute((BENCH_SQL / "disable_triggers.sql").read_text())
                print("(rollup triggers disabled: a diagnostic, not a real configuration)")
        print(f"machine: {os.cpu_count()} cores; sentinel serve at {base}")
        for shape in shapes:
            bench_shape(url, base, pid, shape, args.records, args.rounds)
        if args.profile:
            for shape in shapes:
                profile(url, base, shape, args.rounds)


if __name__ == "__main__":
    main()
