"""Alerts that reach people, measured (issue 10):

1. Delivery: `sentinel serve` on a scratch database with two weeks of hourly history for 100
   services and a webhook subscription on the default monitor. For each service in turn, one
   batch carrying a spike is POSTed and the clock runs until the local receiver has the signed
   webhook of its alert: p50 and p95 over 100 alerts (target p95 <= 2 s). The POST's own round
   trip, measured in the same run, is the reference.
2. Evaluation cost: 48 hourly batches of 50 services (one record each, as a live feed sends
   them) through the batch query the API runs, each followed by sentinel.evaluate_alerts():
   the evaluation's time as a share of the ingest's (target <= 20%). The server's evaluator
   first refreshes the stored baselines of the services the batch touched, in a transaction of
   its own (else the background refresh would do that work), so it is shown apart.

    .venv/bin/python bench/bench_alerts.py [--alerts 100] [--hours 48]
"""

import argparse
import asyncio
import json
import math
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg

from chaos import Server
from scratch import PREFIX, scratch_database
from sentinel.queries import Queries

START = datetime(2026, 9, 1, tzinfo=UTC)
HISTORY = 24 * 14


def hourly(services: list[str], hours: range, seed: int = 1) -> list[tuple]:
    """One record per service and hour: a daily rhythm with 4% noise."""
    rng = random.Random(seed)
    return [
        (
            service,
            round(
                8 * (1 + 0.3 * math.sin(2 * math.pi * (h % 24) / 24)) * rng.uniform(0.96, 1.04), 4
            ),
            START + timedelta(hours=h),
            "us-east-1",
            "111111111111",
        )
        for h in hours
        for service in services
    ]


def store(url: str, rows: list[tuple]) -> None:
    with (
        psycopg.connect(url) as conn,
        conn.cursor() as cur,
        cur.copy(
            "copy sentinel_data.billing_record (service, cost, timestamp, region, account_id)"
            " from stdin"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


class Arrivals:
    """The local webhook receiver: when each alert's webhook arrived, by service."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.arrived = threading.Condition()
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with arrivals.arrived:
                    if body["type"] == "alert.opened":
                        arrivals.times.setdefault(body["alert"]["service"], time.perf_counter())
                    arrivals.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, service: str, timeout: float) -> float | None:
        with self.arrived:
            self.arrived.wait_for(lambda: service in self.times, timeout)
            return self.times.get(service)


def delivery(count: int) -> None:
    services = [f"svc-{n:03d}" for n in range(count)]
    with scratch_database(f"{PREFIX}_alerts") as url, tempfile.TemporaryDirectory() as tmp:
        store(url, hourly(services, range(HISTORY)))
        with psycopg.connect(url) as conn:
            conn.execute("select sentinel.evaluate_alerts()")  # the history raises nothing
        receiver = Arrivals()
        server = Server(
            url,
            Path(tmp) / "sentinel.log",
            {"SENTINEL_ALERT_EVALUATION_SECONDS": "600", "SENTINEL_NOTIFY_POLL_SECONDS": "600"},
        )
        server.start(migrate=False)
        base = f"http://127.0.0.1:{server.port}"
        latencies, round_trips = [], []
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                monitor = client.get("/api/v1/monitors").json()[0]["id"]
                client.post(
                    f"/api/v1/monitors/{monitor}/subscriptions",
                    json={"channel": "webhook", "target": receiver.url},
                ).raise_for_status()
                for service in services:
                    rows = hourly([service], range(HISTORY, HISTORY + 1))
                    rows.append((service, 40.0, START + timedelta(hours=HISTORY), "us-east-1", "2"))
                    records = [
                        {
                            "service": s,
                            "cost": c,
                            "timestamp": t.isoformat(),
                            "region": r,
                            "account_id": a,
                        }
                        for s, c, t, r, a in rows
                    ]
                    sent = time.perf_counter()
                    client.post(
                        "/api/v1/billing/batch",
                        json={"records": records},
                        headers={"Prefer": "return=minimal"},
                    ).raise_for_status()
                    round_trips.append(time.perf_counter() - sent)
                    arrived = receiver.wait(service, 30)
                    if arrived is None:
                        sys.exit(f"no webhook for {service} within 30 s; see the server log")
                    latencies.append(arrived - sent)
        finally:
            if server.process is not None:
                server.process.terminate()
                server.process.wait(timeout=30)
            receiver.server.shutdown()
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    trip = statistics.median(round_trips)
    print(f"delivery, batch POST to signed webhook received, {count} alerts:")
    print(f"  p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    print(
        f"  reference: the batch POST's round trip, p50 {trip * 1000:.1f} ms "
        f"(webhook p50 = {p50 / trip:.1f}x that)"
    )
    print(f"  target p95 <= 2000 ms: {'met' if p95 <= 2 else 'NOT met'}")


async def evaluation_cost(hours: int) -> None:
    services = [f"svc-{n:02d}" for n in range(50)]
    queries = Queries()
    with scratch_database(f"{PREFIX}_alerts") as url:
        store(url, hourly(services, range(HISTORY)))
        ingest, evaluate, refresh = [], [], []
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await queries.evaluate_alerts(conn)
            await conn.commit()
            for h in range(HISTORY, HISTORY + hours):
                batch = [
                    {"service": s, "cost": c, "timestamp": t, "region": r, "account_id": a}
                    for s, c, t, r, a in hourly(services, range(h, h + 1), seed=h)
                ]
                began = time.perf_counter()
                await queries.insert_billing_records_scored(conn, records=batch)
                await conn.commit()
                ingested = time.perf_counter()
                await queries.refresh_baselines(conn)
                await conn.commit()
                refreshed = time.perf_counter()
                await queries.evaluate_alerts(conn)
                await conn.commit()
                done = time.perf_counter()
                ingest.append(ingested - began)
                refresh.append(refreshed - ingested)
                evaluate.append(done - refreshed)
    a, r, e = (statistics.median(x) * 1000 for x in (ingest, refresh, evaluate))
    print(f"evaluation cost, {hours} hourly batches of {len(services)} records (medians):")
    print(f"  ingest (batch query, with its verdict) {a:.1f} ms = reference")
    print(f"  evaluation of the monitors            {e:.1f} ms = {e / a:.0%} of ingest")
    print(
        f"  refresh of the stored baselines       {r:.1f} ms = {r / a:.0%} of ingest "
        "(done before the evaluation, else by the background refresh)"
    )
    print(f"  evaluation with the refresh           {e + r:.1f} ms = {(e + r) / a:.0%} of ingest")
    print(f"  target evaluation <= 20% of ingest: {'met' if e / a <= 0.2 else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--hours", type=int, default=48)
    args = parser.parse_args()
    delivery(args.alerts)
    asyncio.run(evaluation_cost(args.hours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
