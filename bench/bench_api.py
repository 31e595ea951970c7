"""API benchmarks: batch ingest, /anomalies latency, list streaming memory.

Each figure is printed next to a reference measured in the same run on the same machine
(these machines are noisy, so ratios travel better than absolute numbers):

- HTTP batch ingest (one client, 10k records per request, `Prefer: return=minimal`)
  vs raw psycopg binary COPY of the same rows;
- GET /api/v1/billing/anomalies?threshold=5 p50 at each size vs the window-function view
  (`sentinel.record_scores`) that defines the same rule;
- GET /api/v1/billing/anomalies at its default threshold with about 2.7% of 1M log-normal
  records flagged, vs the same query read whole by psycopg (the cost of each returned row);
- the server's peak RSS while streaming the full GET /api/v1/billing/ list.

It creates a scratch database on the server given by --admin-url (default: the local
PostgreSQL service), starts `sentinel serve` on 127.0.0.1 against it, and drops it at the end.

    .venv/bin/python bench/bench_api.py                       # 100k and 1M records
    .venv/bin/python bench/bench_api.py --sizes 10000000      # the 10M point (make bench-large)
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psutil
import psycopg

from scratch import ADMIN_URL, scratch_database

BENCH_SQL = Path(__file__).parent / "sql"
BATCH = 10_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--admin-url",
        default=ADMIN_URL,
        help="server to create the scratch database on",
    )
    parser.add_argument(
        "--sizes",
        default="100000,1000000",
        help="comma-separated record counts for the /anomalies and list figures",
    )
    parser.add_argument(
        "--flagged-records",
        type=int,
        default=1_000_000,
        help="records (log-normal costs) for the /anomalies figure with many flagged; 0: skip",
    )
    parser.add_argument("--ingest-records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="/anomalies calls per size")
    parser.add_argument(
        "--detectors",
        action="store_true",
        help="also time the recommended and the trailing detector at each size",
    )
    parser.add_argument(
        "--without-triggers",
        action="store_true",
        help="diagnostic: disable the rollup triggers to see the HTTP path's own cost",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(database_url: str) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SENTINEL_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentinel", "serve", "--no-migrate", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("sentinel serve did not come up")
        yield base, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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


def truncate(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate sentinel_data.billing_record restart identity")


def bench_ingest(database_url: str, base: str, count: int, shape: str) -> None:
    rows = records(count, shape)
    bodies = [json.dumps({"records": rows[i : i + BATCH]}).encode() for i in range(0, count, BATCH)]
    truncate(database_url)
    with httpx.Client(timeout=120) as client:
        started = time.perf_counter()
        for body in bodies:
            response = client.post(
                f"{base}/api/v1/billing/batch",
                content=body,
                headers={"content-type": "application/json", "prefer": "return=minimal"},
            )
            response.raise_for_status()
        http_seconds = time.perf_counter() - started

    truncate(database_url)
    copy_sql = (BENCH_SQL / "copy_billing_records.sql").read_text()
    tuples = copy_tuples(rows)
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        for i in range(0, count, BATCH):
            with cur.copy(copy_sql) as copy:
                copy.set_types(["text", "numeric", "timestamptz", "text", "text"])
                for row in tuples[i : i + BATCH]:
                    copy.write_row(row)
            conn.commit()
    copy_seconds = time.perf_counter() - started
    http_rate, copy_rate = count / http_seconds, count / copy_seconds
    print(
        f"batch ingest ({shape} shape), {count:,} records in requests of {BATCH:,}: "
        f"HTTP {http_rate:,.0f} records/s, raw COPY {copy_rate:,.0f} rows/s, "
        f"ratio {http_rate / copy_rate:.2f}"
    )


def load(database_url: str, count: int, fill_file: str = "fill_billing_records.sql") -> None:
    truncate(database_url)
    fill = (BENCH_SQL / fill_file).read_text()
    with psycopg.connect(database_url) as conn:
        conn.execute(fill, {"count": count})
        conn.commit()
        conn.autocommit = True
        conn.execute("vacuum analyze sentinel_data.billing_record")


def timed_gets(
    client: httpx.Client, url: str, runs: int
) -> tuple[list[float], httpx.Response, float]:
    """The seconds of `runs` GETs of url after one to warm plans and caches, the last answer,
    and the seconds of that first call."""
    started = time.perf_counter()
    client.get(url).raise_for_status()
    first = time.perf_counter() - started
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return seconds, response, first


def bench_anomalies(database_url: str, base: str, count: int, requests: int) -> None:
    with httpx.Client(timeout=120) as client:
        url = f"{base}/api/v1/billing/anomalies?threshold=5"
        timings, response, _ = timed_gets(client, url, requests)
        flagged = len(response.json())
    reference = []
    window_sql = (BENCH_SQL / "window_anomalies.sql").read_text()
    with psycopg.connect(database_url) as conn:
        for _ in range(3):
            started = time.perf_counter()
            reference_flagged = conn.execute(window_sql, {"threshold": 5.0}).fetchone()[0]
            reference.append(time.perf_counter() - started)
    api_ms = statistics.median(timings) * 1000
    ref_ms = statistics.median(reference) * 1000
    agree = "same records" if reference_flagged == flagged else "DIFFERENT COUNTS"
    print(
        f"/anomalies?threshold=5 at {count:,} records: p50 {api_ms:.1f} ms over {requests} calls "
        f"({flagged} flagged); window-function view {ref_ms:.0f} ms; ratio {api_ms / ref_ms:.3f}"
        f" ({agree})"
    )


def bench_many_flagged(database_url: str, base: str, count: int, requests: int) -> None:
    """/anomalies at its default threshold on log-normal costs (about 2.7% flagged): what each
    returned row costs over HTTP, against the same query read whole by psycopg in the same run."""
    load(database_url, count, "fill_lognormal_billing_records.sql")
    with httpx.Client(timeout=120) as client:
        timings, response, _ = timed_gets(client, f"{base}/api/v1/billing/anomalies", requests)
    flagged = len(response.json())
    query = (Path(__file__).parents[1] / "sql" / "queries" / "find_anomalies.sql").read_text()
    reference = []
    with psycopg.connect(database_url) as conn:
        for _ in range(5):
            started = time.perf_counter()
            rows = conn.execute(query, {"threshold": None}).fetchall()
            reference.append(time.perf_counter() - started)
    api_ms = statistics.median(timings) * 1000
    sql_ms = statistics.median(reference) * 1000
    per_row = (api_ms - sql_ms) * 1000 / max(flagged, 1)
    print(
        f"/anomalies (threshold 2) at {count:,} log-normal records: p50 {api_ms:.0f} ms over "
        f"{requests} calls, {flagged:,} flagged ({100 * flagged / count:.1f}%); the query read "
        f"whole by psycopg {sql_ms:.0f} ms ({len(rows):,} rows); ratio {api_ms / sql_ms:.2f}; "
        f"HTTP beyond the query: {per_row:.1f} us per returned row"
    )


def bench_detectors(base: str, count: int, requests: int) -> None:
    """The causal detectors over HTTP: the first call (which refreshes the stored baselines the
    load left stale) apart, then the p50 of the next calls."""
    with httpx.Client(timeout=1200) as client:
        for query in ("method=seasonal", "method=trailing&granularity=hour"):
            url = f"{base}/api/v1/billing/anomalies?{query}"
            timings, response, first = timed_gets(client, url, requests)
            print(
                f"/anomalies?{query} at {count:,} records: first call {first:.1f} s "
                f"(refreshes the baselines the load left stale), then p50 "
                f"{statistics.median(timings) * 1000:.0f} ms over {requests} calls "
                f"({len(response.json())} flagged)"
            )


def bench_list_rss(base: str, process: psutil.Process, count: int) -> None:
    peak = process.memory_info().rss
    baseline = peak
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    received = 0
    started = time.perf_counter()
    try:
        with httpx.stream("GET", f"{base}/api/v1/billing/", timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                received += len(chunk)
    finally:
        done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    print(
        f"GET /api/v1/billing/ streaming {count:,} records ({received / 1e6:.0f} MB in "
        f"{seconds:.1f} s, {count / seconds:,.0f} records/s): server RSS {baseline / 2**20:.0f} MB "
        f"before, peak {peak / 2**20:.0f} MB"
    )


def main() -> None:
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB")
    with scratch_database(admin_url=args.admin_url) as url, server(url) as (base, process):
        if args.without_triggers:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute((BENCH_SQL / "disable_triggers.sql").read_text())
            print("(rollup triggers disabled: a diagnostic, not a real configuration)")
        if args.ingest_records:
            for shape in ("minute", "hourly"):
                bench_ingest(url, base, args.ingest_records, shape)
        if args.flagged_records:
            bench_many_flagged(url, base, args.flagged_records, args.requests)
        for count in sizes:
            load(url, count)
            bench_anomalies(url, base, count, args.requests)
            if args.detectors:
                bench_detectors(base, count, max(3, args.requests // 4))
            if count <= 1_000_000:
                bench_list_rss(base, process, count)


if __name__ == "__main__":
    main()
