"""API benchmarks: /anomalies latency, list streaming memory (batch ingest: bench_ingest.py).

Each figure is printed next to a reference measured in the same run on the same machine
(these machines are noisy, so ratios travel better than absolute numbers):

- GET /api/v1/billing/anomalies?threshold=5 p50 at each size vs the window-function view
  (`sentinel.record_scores`) that defines the same rule;
- GET /api/v1/billing/anomalies at its default threshold with about 2.7% of 1M log-normal
  records flagged, vs the same query read whole by psycopg (the cost of each returned row),
  with the server's peak RSS during those calls;
- the server's peak RSS while streaming the full GET /api/v1/billing/ list (peak_rss.py).

It creates a scratch database on the server given by --admin-url (default: the local
PostgreSQL service), starts `sentinel serve` on 127.0.0.1 against it (tests/integration/live.py:
a port of SENTINEL_TEST_PORTS when that is set), and drops it at the end.

    .venv/bin/python bench/bench_api.py                       # 100k and 1M records
    .venv/bin/python bench/bench_api.py --sizes 10000000      # the 10M point (make bench-large)
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.live import live_server

from peak_rss import peak_during
from scratch import ADMIN_URL, scratch_database

BENCH_SQL = Path(__file__).parent / "sql"


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
    parser.add_argument("--requests", type=int, default=20, help="/anomalies calls per size")
    parser.add_argument(
        "--detectors",
        action="store_true",
        help="also time the recommended and the trailing detector at each size",
    )
    return parser.parse_args()


@contextmanager
def server(database_url: str) -> Iterator[tuple[str, int]]:
    """`sentinel serve` on the database: its base URL and process id, with no background work.
    The baseline refresh is off (live_server), so a detector's first call pays the refresh in
    its own time; so is the alert evaluation, which each commit of records wakes: it competes
    with what is measured, and its reads of the rollups deadlocked with a load's truncate."""
    with live_server(database_url, alert_evaluation_seconds="0") as (base, process):
        yield base, process.pid


def truncate(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate sentinel_data.billing_record restart identity")


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


def bench_many_flagged(database_url: str, base: str, pid: int, count: int, requests: int) -> None:
    """/anomalies at its default threshold on log-normal costs (about 2.7% flagged): what each
    returned row costs over HTTP, against the same query read whole by psycopg in the same run."""
    load(database_url, count, "fill_lognormal_billing_records.sql")
    with httpx.Client(timeout=120) as client, peak_during(pid) as peak:
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
        f"HTTP beyond the query: {per_row:.1f} us per returned row; server {peak}"
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


def bench_list_rss(base: str, pid: int, count: int) -> None:
    received = 0
    started = time.perf_counter()
    with (
        peak_during(pid) as peak,
        httpx.stream("GET", f"{base}/api/v1/billing/", timeout=600) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            received += len(chunk)
    seconds = time.perf_counter() - started
    print(
        f"GET /api/v1/billing/ streaming {count:,} records ({received / 1e6:.0f} MB in "
        f"{seconds:.1f} s, {count / seconds:,.0f} records/s): server {peak}"
    )


def main() -> None:
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB")
    with scratch_database(admin_url=args.admin_url) as url, server(url) as (base, pid):
        if args.flagged_records:
            bench_many_flagged(url, base, pid, args.flagged_records, args.requests)
        for count in sizes:
            load(url, count)
            bench_anomalies(url, base, count, args.requests)
            if args.detectors:
                bench_detectors(base, count, max(3, args.requests // 4))
            if count <= 1_000_000:
                bench_list_rss(base, pid, count)


if __name__ == "__main__":
    main()
