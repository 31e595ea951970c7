"""Score Sentinel's detectors on labelled series, one table per data set.

Data sets:
- generated: realistic hourly billing (diurnal and weekly seasonality, growth, noise, six
  services) with injected spikes, surges (1.5-3x for 3-12 hours), long surges (16-24 hours)
  and level shifts (a shift is a
  true alarm only during its first day), one family per table, four independent draws (seeds)
  pooled per family;
- nab: NAB realAWSCloudwatch + realKnownCause with their published windows;
- ms: Microsoft cloud monitoring (runs of Label = 1 are the windows);
- cur: the three AWS CUR months (Oct-Dec 2018), imported with Sentinel's own importer into a
  scratch database of their own, each service's usage summed per hour as the recommended
  detector sees it, labelled in bench/cur_labels.csv (the visible steps, stops, dips and spikes,
  chosen as its comment says); after the table, the recommended detector's events over the 92
  days at its defaults, each with service, start, direction, impact and whether it touches a fee
  day (the 1st of a month, or a day with the service's RIFee line items).
The real data sets are read from ../shared/data (SENTINEL_DATA_DIR); they are skipped, saying
so, when missing.

Each series is loaded as the cost of one service into a scratch database on 127.0.0.1 (created
from SENTINEL_BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres, dropped at
the end), and the detectors run in SQL at their defaults: every parameter after group_by is left
out (null), as the API leaves out what a client does not give, so the scores follow
sentinel.detector_defaults. Scoring is per event window: a window is found when a
flagged point falls inside it (recall); a run of consecutive flagged points is one alarm, true
when it is the first to overlap a window, ignored when the window was already found, false when
it overlaps none (precision, as in NAB); delay is the number of buckets from the window start to
the first flag in it. The original rule is scored at its best threshold per data set (every
0.25 from 1 to 10, chosen in hindsight); on the CUR case, where a service has many records an
hour, an hour is flagged when any of its records is.

A second scoring sits beside it, per flagged bucket: every flagged bucket outside a window is a
false alarm (precision = flagged buckets inside windows / all flagged buckets; recall is still the
share of windows found), so a detector that keeps flagging after an event pays for each bucket.
Each generated family also gets a table per seed (per-bucket F1 / per-window F1 of every method
on that seed's six series alone, and each method's lowest per-bucket F1).

Peers (bench/peers.py) run causally in Python on the same series and labels, each hour judged
only from earlier data: rolling z-score and rolling MAD always; MSTL and Prophet when the `eval`
extra is installed (otherwise skipped, saying so). Every peer runs on every series of a table
(every seed of every generated family, and the CUR case), in --jobs processes (default: the
number of CPUs) while the SQL detectors run. MSTL and Prophet refit daily and are slow (about
8 s and 7 s of one CPU per 70-day series here), so they run on NAB and Microsoft only with
--slow-real (their rows are then absent, not partial).

    .venv/bin/python bench/eval_detectors.py [--only generated,nab,ms,cur] [--no-peers]
        [--slow-real] [--jobs 2] [--prefix sentinel_eval]
"""

import argparse
import asyncio
import csv
import json
import math
import os
import random
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import psycopg

from peers import available as available_peers
from peers import run as run_peer
from scratch import scratch_database
from sentinel.db import load_queries
from sentinel.detection import METHODS

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("SENTINEL_DATA_DIR", HERE.parents[1] / "shared" / "data"))
# The original rule is scored at the best of these thresholds per data set (hindsight), every 0.25
# from 1 to 10: the finer the grid, the stronger the rule the detectors must beat.
ORIGINAL_THRESHOLDS = tuple(1 + 0.25 * step for step in range(37))
# Each generated family pools several independently drawn data sets (six services each), so one
# lucky or unlucky draw does not decide a score.
SEEDS = (7, 11, 23, 42)


@dataclass
class Series:
    name: str
    times: list[datetime]
    values: list[float]
    windows: list[tuple[datetime, datetime]]  # [start, end) of each labelled anomaly


# One row of a table: its label, the series it covers and its flags per series.
Row = tuple[str, list[Series], dict[str, list[tuple[datetime, bool]]]]


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    delay: float | None
    first_bucket: float | None  # share of found windows flagged in their first bucket
    alarms: int
    windows: int


# ---------------------------------------------------------------------------- data sets


def generated(family: str, seed: int = 7) -> list[Series]:
    """Six services, 70 days hourly; three injected events per service after day 30."""
    if family != "none" and seed == 0:
        return [one for each in SEEDS for one in generated(family, each)]
    rng = random.Random(f"{seed}-{family}")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    hours = 70 * 24
    out = []
    for index, base in enumerate((2.0, 0.4, 1.1, 0.15, 0.6, 0.3)):
        amplitude = rng.uniform(0.15, 0.4)
        weekend = rng.uniform(0.6, 0.9)
        growth = rng.uniform(0.0, 0.15) / (30 * 24)  # per hour, up to 15 percent a month
        noise = rng.uniform(0.03, 0.08)
        peak_hour = rng.randint(12, 17)
        values = []
        for h in range(hours):
            at = start + timedelta(hours=h)
            season = 1 + amplitude * math.cos(2 * math.pi * (at.hour - peak_hour) / 24)
            day = weekend if at.weekday() >= 5 else 1.0
            values.append(base * season * day * (1 + growth * h) * rng.lognormvariate(0, noise))
        windows = []
        onsets = [
            (30 + 12 * k) * 24 + rng.randint(0, 23) + rng.randint(0, 5) * 24 for k in range(3)
        ]
        for onset in onsets:
            factor = rng.uniform(1.5, 3.0)
            if family == "spikes":
                values[onset] *= rng.uniform(3.0, 8.0)
                length = 1
            elif family in ("surges", "long-surges"):
                length = rng.randint(3, 12) if family == "surges" else rng.randint(16, 24)
                for h in range(onset, onset + length):
                    values[h] *= factor
            else:  # "none": the clean series that generated_shifts adds one shift to
                continue
            windows.append(
                (start + timedelta(hours=onset), start + timedelta(hours=onset + length))
            )
        times = [start + timedelta(hours=h) for h in range(hours)]
        out.append(
            Series(f"gen-{family}-{seed}-{index}", times, [round(v, 4) for v in values], windows)
        )
    return out


def generated_shifts(seed: int = 7) -> list[Series]:
    """The clean series with one lasting shift each; only its first day is a true alarm."""
    if seed == 0:
        return [one for each in SEEDS for one in generated_shifts(each)]
    rng = random.Random(f"{seed}-shift")
    base_sets = generated("none", seed)
    out = []
    for series in base_sets:
        onset = (35 + rng.randint(0, 20)) * 24 + rng.randint(0, 23)
        factor = rng.uniform(1.5, 3.0)
        values = [v * factor if h >= onset else v for h, v in enumerate(series.values)]
        start = series.times[0]
        window = (start + timedelta(hours=onset), start + timedelta(hours=onset + 24))
        out.append(Series(series.name.replace("none", "shifts"), series.times, values, [window]))
    return out


def _ts(text: str) -> datetime:
    text = text.strip().strip('"').replace("Z", "").replace("T", " ")
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


def nab() -> list[Series]:
    labels = json.loads((DATA / "nab" / "labels" / "combined_windows.json").read_text())
    out = []
    for folder in ("realAWSCloudwatch", "realKnownCause"):
        for path in sorted((DATA / "nab" / folder).glob("*.csv")):
            with path.open() as handle:
                rows = list(csv.DictReader(handle))
            windows = [(_ts(a), _ts(b)) for a, b in labels.get(f"{folder}/{path.name}", [])]
            out.append(
                Series(
                    f"nab-{path.stem}",
                    [_ts(r["timestamp"]) for r in rows],
                    [float(r["value"]) for r in rows],
                    windows,
                )
            )
    return out


def microsoft() -> list[Series]:
    out = []
    for path in sorted((DATA / "ms_cloud_monitoring").glob("*/*.csv")):
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        times = [_ts(r["TimeStamp"]) for r in rows]
        windows, run_start = [], None
        for i, row in enumerate(rows):
            if row["Label"].strip() == "1" and run_start is None:
                run_start = times[i]
            if row["Label"].strip() != "1" and run_start is not None:
                windows.append((run_start, times[i]))
                run_start = None
        if run_start is not None:
            windows.append((run_start, times[-1] + timedelta(hours=1)))
        out.append(Series(f"ms-{path.stem}", times, [float(r["Value"]) for r in rows], windows))
    return out


# ---------------------------------------------------------------------------- scoring


def score(
    series: list[Series], flags: dict[str, list[tuple[datetime, bool]]], bucket: timedelta
) -> Score:
    """Event-window precision, recall, F1 and delay in buckets over all series.

    A run of consecutive flagged points is one alarm. A window is found when a flag falls inside
    it (recall). As in NAB, the first alarm that overlaps a window is a true alarm, further
    alarms on an already found window are neither true nor false (a detector that flickers gains
    nothing), and an alarm that overlaps no window is false (precision).
    """
    hits = windows = true_alarms = false_alarms = 0
    delays = []
    for one in series:
        points = flags.get(one.name, [])
        windows += len(one.windows)
        for start, end in one.windows:
            inside = [t for t, flagged in points if flagged and start <= t < end]
            if inside:
                hits += 1
                delays.append((min(inside) - start) // bucket)
        found: set[int] = set()
        run: list[datetime] = []
        for t, flagged in [*points, (datetime.max.replace(tzinfo=UTC), False)]:
            if flagged:
                run.append(t)
                continue
            if run:
                overlapped = {
                    i for i, (s, e) in enumerate(one.windows) if any(s <= r < e for r in run)
                }
                if not overlapped:
                    false_alarms += 1
                elif overlapped - found:
                    true_alarms += 1
                found |= overlapped
                run = []
    alarms = true_alarms + false_alarms
    precision = true_alarms / alarms if alarms else 0.0
    recall = hits / windows if windows else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    delay = sum(delays) / len(delays) if delays else None
    first = sum(d == 0 for d in delays) / len(delays) if delays else None
    return Score(precision, recall, f1, delay, first, alarms, windows)


def score_buckets(
    series: list[Series], flags: dict[str, list[tuple[datetime, bool]]]
) -> tuple[float, float, float, int]:
    """Per-bucket precision, window recall, F1 and the number of false buckets over all series.

    Every flagged bucket inside a window is true, every flagged bucket outside all windows is a
    false alarm; recall is the share of windows with at least one flagged bucket.
    """
    true_buckets = false_buckets = hits = windows = 0
    for one in series:
        flagged = [t for t, on in flags.get(one.name, []) if on]
        windows += len(one.windows)
        for t in flagged:
            if any(start <= t < end for start, end in one.windows):
                true_buckets += 1
            else:
                false_buckets += 1
        hits += sum(any(start <= t < end for t in flagged) for start, end in one.windows)
    total = true_buckets + false_buckets
    precision = true_buckets / total if total else 0.0
    recall = hits / windows if windows else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, false_buckets


def buckets(one: Series, bucket: timedelta) -> tuple[list[datetime], list[float]]:
    """The series summed per bucket, as Sentinel's detectors see it (NAB is every 5 minutes).

    Buckets without a record are left out, as in the database, so a peer's "7 days" is 168
    buckets of data.
    """
    sums: dict[datetime, float] = {}
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    for t, v in zip(one.times, one.values, strict=True):
        start = epoch + (t - epoch) // bucket * bucket
        sums[start] = sums.get(start, 0.0) + v
    times = sorted(sums)
    return times, [sums[t] for t in times]


# ---------------------------------------------------------------------------- tables


def seed_of(name: str) -> str:
    """The seed of a generated series, from its name gen-<family>-<seed>-<index>."""
    return name.rsplit("-", 2)[-2]


def per_seed_table(rows: list[Row], bucket: timedelta) -> list[str]:
    """Markdown: per-bucket F1 / per-window F1 of each method on each seed's series alone."""
    seeds = sorted({seed_of(s.name) for _, subset, _ in rows for s in subset}, key=int)
    lines = [
        "| method | " + " | ".join(f"seed {seed}" for seed in seeds) + " | lowest per-bucket F1 |",
        "|---|" + "---|" * (len(seeds) + 1),
    ]
    for name, subset, flags in rows:
        cells, lowest = [], 1.0
        for seed in seeds:
            one_seed = [s for s in subset if seed_of(s.name) == seed]
            _, _, bucket_f1, _ = score_buckets(one_seed, flags)
            lowest = min(lowest, bucket_f1)
            cells.append(f"{bucket_f1:.2f} / {score(one_seed, flags, bucket).f1:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {lowest:.2f} |")
    return lines


def per_bucket(
    flags: dict[str, list[tuple[datetime, bool]]], bucket: timedelta
) -> dict[str, list[tuple[datetime, bool]]]:
    """Flags of records as flags of buckets: a bucket is flagged when any record in it is."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    out = {}
    for name, points in flags.items():
        merged: dict[datetime, bool] = {}
        for t, flagged in points:
            start = epoch + (t - epoch) // bucket * bucket
            merged[start] = merged.get(start, False) or flagged
        out[name] = sorted(merged.items())
    return out


# ---------------------------------------------------------------------------- database


def evaluate(
    conn: psycopg.Connection,
    queries: dict[str, str],
    title: str,
    data: list[Series],
    granularity: str,
    options: argparse.Namespace,
    slow_peers: bool = True,
    load: bool = True,
    original_per_bucket: bool = False,
) -> None:
    """Score Sentinel's detectors, the original rule and the peers on the same series.

    load=False: the series are in the database already (an import), and `data` holds them as
    the detectors see them. The peers run in options.pool meanwhile, every peer on every series
    (slow_peers=False leaves MSTL and Prophet out, and their rows with them).
    """
    if load:
        conn.execute(queries["eval_reset"])
        for one in data:
            conn.execute(
                queries["eval_load"],
                {"service": one.name, "costs": one.values, "timestamps": one.times},
            )
        conn.commit()
    bucket = timedelta(hours=1) if granularity == "hour" else timedelta(days=1)
    peers_started = time.perf_counter()
    jobs: dict[str, list[tuple[str, Future]]] = {}
    if options.pool is not None:
        peers, _ = available_peers()
        for label in peers:
            if not slow_peers and ("Prophet" in label or "MSTL" in label):
                continue
            jobs[label] = []
            for one in data:
                times, values = buckets(one, bucket)
                future = options.pool.submit(run_peer, label, times, values)
                jobs[label].append((one.name, future))
    rows: list[Row] = []
    defaults = conn.execute(queries["eval_defaults"], {"methods": list(METHODS)}).fetchall()
    for method, window, threshold, recommended in defaults:
        flags: dict[str, list[tuple[datetime, bool]]] = {}
        params = {"method": method, "granularity": granularity}
        for service, at, anomaly in conn.execute(queries["eval_detect"], params):
            flags.setdefault(service, []).append((at, anomaly))
        label = f"{method} ({window.days}d, {threshold:g})"
        if recommended:
            label += " recommended"
        rows.append((label, data, flags))
    original = conn.execute(queries["eval_original"]).fetchall()
    best = None
    for threshold in ORIGINAL_THRESHOLDS:
        flags = {}
        for service, at, abs_z in original:
            flags.setdefault(service, []).append((at, abs_z is not None and abs_z > threshold))
        if original_per_bucket:
            flags = per_bucket(flags, bucket)
        result = score(data, flags, bucket)
        if best is None or result.f1 > best[0].f1:
            best = (result, (f"original z-score (best |z| > {threshold:g})", data, flags))
    assert best is not None
    rows.append(best[1])
    conn.rollback()
    timings = []
    for label, futures in jobs.items():
        flags, seconds = {}, 0.0
        for name, future in futures:
            times_flags, elapsed = future.result()
            times = buckets(next(s for s in data if s.name == name), bucket)[0]
            flags[name] = list(zip(times, times_flags, strict=True))
            seconds += elapsed
        timings.append((label, len(futures), seconds))
        rows.append((label, data, flags))
    peers_wall = time.perf_counter() - peers_started
    print(
        f"\n### {title} ({len(data)} series, "
        f"{sum(len(s.windows) for s in data)} windows, {granularity} buckets)\n"
    )
    print(
        "| method | precision | recall | F1 | mean delay (buckets) | in first bucket | alarms "
        "| per-bucket precision | per-bucket F1 | false buckets |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, subset, flags in rows:
        result = score(subset, flags, bucket)
        bucket_precision, _, bucket_f1, false_buckets = score_buckets(subset, flags)
        delay = "-" if result.delay is None else f"{result.delay:.2f}"
        first = "-" if result.first_bucket is None else f"{result.first_bucket:.0%}"
        print(
            f"| {name} | {result.precision:.2f} | {result.recall:.2f} | {result.f1:.2f} "
            f"| {delay} | {first} | {result.alarms} "
            f"| {bucket_precision:.2f} | {bucket_f1:.2f} | {false_buckets} |"
        )
    if data and all(s.name.startswith("gen-") for s in data):
        print("\nPer seed, per-bucket F1 / per-window F1:\n")
        print("\n".join(per_seed_table(rows, bucket)))
    for label, count, elapsed in timings:
        print(f"\n{label}: {elapsed:.1f} s for {count} series", end="")
    if timings:
        print(
            f"\n\npeers: {peers_wall:.1f} s wall time for this table "
            f"({options.jobs} processes, beside the SQL detectors)",
            end="",
        )
    print()
    sys.stdout.flush()


# ---------------------------------------------------------------------------- CUR case


def cur_labels(path: Path) -> list[tuple[str, datetime, datetime, str]]:
    """The labelled windows of the CUR case: service, start, end ([start, end), UTC), what.

    Lines starting with # are comments (how the labels were chosen).
    """
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    out = []
    for row in csv.DictReader(line for line in lines if line.strip()):
        start, end = _ts(row["start"]), _ts(row["end"])
        if not start < end:
            raise ValueError(f"{path.name}: {row['service']} {row['start']}: end before start")
        out.append((row["service"], start, end, row["what"]))
    return out


async def import_exports(url: str, files: list[Path]) -> int:
    """Import the files as `sentinel import` does (one transaction each), refresh the baselines."""
    from sentinel.importers import import_file
    from sentinel.queries import Queries

    queries, rows = Queries(), 0
    async with await psycopg.AsyncConnection.connect(url, options="-c TimeZone=UTC") as conn:
        for path in files:
            rows += (await import_file(conn, queries, path)).row_count
        await queries.refresh_baselines(conn)
        await conn.commit()
    return rows


def cur_case(queries: dict[str, str], options: argparse.Namespace) -> None:
    files = sorted((DATA / "aws_cur").glob("*.parquet"))
    if not files:
        print(f"\n{DATA / 'aws_cur'} holds no Parquet file: CUR case skipped.")
        return
    labels = cur_labels(HERE / "cur_labels.csv")
    with scratch_database(f"{options.prefix}_cur") as url:
        started = time.perf_counter()
        rows = asyncio.run(import_exports(url, files))
        imported = time.perf_counter() - started
        with psycopg.connect(url) as conn:
            points: dict[str, tuple[list[datetime], list[float]]] = {}
            for service, at, cost in conn.execute(queries["eval_series"], {"granularity": "hour"}):
                times, values = points.setdefault(service, ([], []))
                times.append(at)
                values.append(cost)
            data = [
                Series(
                    service,
                    times,
                    values,
                    [(start, end) for name, start, end, _ in labels if name == service],
                )
                for service, (times, values) in sorted(points.items())
            ]
            unknown = {name for name, *_ in labels} - set(points)
            if unknown:
                sys.exit(f"cur_labels.csv names services the import does not hold: {unknown}")
            print(
                f"\nCUR: {rows:,} line items of {len(files)} files imported with sentinel's "
                f"importer in {imported:.1f} s (baselines refreshed)"
            )
            evaluate(
                conn,
                queries,
                "AWS CUR Oct-Dec 2018, usage per service (labels: bench/cur_labels.csv)",
                data,
                "hour",
                options,
                load=False,
                original_per_bucket=True,
            )
            cur_events(conn, queries, labels)


def cur_events(
    conn: psycopg.Connection,
    queries: dict[str, str],
    labels: list[tuple[str, datetime, datetime, str]],
) -> None:
    """The recommended detector's events at its defaults over the 92 days, one line each."""
    hour = timedelta(hours=1)
    events = conn.execute(queries["eval_events"], {"granularity": "hour"}).fetchall()
    days = conn.execute(queries["eval_events"], {"granularity": "day"}).fetchall()
    conn.rollback()
    print(
        "\n#### CUR: the recommended detector's events at its defaults "
        "(sentinel.anomaly_events, hour buckets)\n"
    )
    print("| service | start (UTC) | hours | direction | total impact ($) | fee day | label |")
    print("|---|---|---|---|---|---|---|")
    counts = {"down": 0, "under5": 0, "under1": 0, "fee": 0, "labelled": 0}
    for service, started, ended, count, impact, first_of_month, fee_records in events:
        matched = [
            what
            for name, start, end, what in labels
            if name == service and started < end and start < ended + hour
        ]
        fee = [why for why, on in (("1st", first_of_month), ("RIFee", fee_records)) if on]
        counts["down"] += impact < 0
        counts["under5"] += abs(impact) < 5
        counts["under1"] += abs(impact) < 1
        counts["fee"] += bool(fee)
        counts["labelled"] += bool(matched)
        print(
            f"| {service} | {started:%Y-%m-%d %H:%M} | {count} | "
            f"{'up' if impact > 0 else 'down'} | {impact:.2f} | {', '.join(fee) or 'no'} "
            f"| {'; '.join(matched) or '-'} |"
        )
    print(
        f"\n{len(events)} events over the 92 days at hour granularity: {counts['down']} "
        f"decreases, {counts['under5']} under $5, {counts['under1']} under $1, "
        f"{counts['fee']} on a fee day, {counts['labelled']} on a labelled change; "
        f"{len(days)} events at day granularity"
    )
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="generated,nab,ms,cur")
    parser.add_argument("--no-peers", action="store_true", help="score Sentinel's detectors only")
    parser.add_argument("--slow-real", action="store_true", help="MSTL and Prophet on NAB, MS")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes the peers run in"
    )
    parser.add_argument("--prefix", default="sentinel_eval", help="scratch database name prefix")
    options = parser.parse_args()
    chosen = set(options.only.split(","))
    options.pool = None
    if not options.no_peers:
        _, missing = available_peers()
        if missing:
            print(
                f"peers skipped: {', '.join(missing)} not installed "
                '(pip install -e ".[eval]" or make eval-peers)'
            )
        # spawn: the workers start clean, without this process's connections or threads.
        options.pool = ProcessPoolExecutor(options.jobs, mp_context=get_context("spawn"))
    started = time.perf_counter()
    try:
        run(options, chosen)
    finally:
        if options.pool is not None:
            options.pool.shutdown(cancel_futures=True)
    print(f"\neval: {time.perf_counter() - started:.0f} s wall time")
    return 0


def run(options: argparse.Namespace, chosen: set[str]) -> None:
    """Every chosen data set, one table each (the CUR case in a scratch database of its own)."""
    queries = load_queries(HERE / "sql")
    with scratch_database(options.prefix) as url, psycopg.connect(url) as conn:
        if "generated" in chosen:
            for title, data in (
                ("generated: spikes", generated("spikes", 0)),
                ("generated: surges", generated("surges", 0)),
                ("generated: long surges", generated("long-surges", 0)),
                ("generated: level shifts", generated_shifts(0)),
            ):
                evaluate(conn, queries, title, data, "hour", options)
        if not DATA.is_dir():
            print(f"\n{DATA} is missing: NAB, Microsoft and CUR data sets skipped.")
            return
        if "nab" in chosen:
            evaluate(
                conn,
                queries,
                "NAB realAWSCloudwatch + realKnownCause",
                nab(),
                "hour",
                options,
                options.slow_real,
            )
        if "ms" in chosen:
            evaluate(
                conn,
                queries,
                "Microsoft cloud monitoring",
                microsoft(),
                "hour",
                options,
                options.slow_real,
            )
    if "cur" in chosen:
        cur_case(queries, options)


if __name__ == "__main__":
    sys.exit(main())
