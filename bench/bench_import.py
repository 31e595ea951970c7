"""`sentinel import` of the three 2018 CUR Parquet months against a COPY of the same mapped rows
into an unindexed table (issue 13), and a restated month's re-import against its first import.

Each round, in this order:

1. the reference: the three files read and mapped by the importer's own mapping (the format's
   `map`, one Arrow batch at a time, mapped in a worker thread while the previous batch is
   copied, as the importer does), written by Arrow's CSV writer (`base.to_csv`) and COPYed in
   one transaction into a table of the same columns with no key, default, constraint, index or
   trigger (`create table ... as select <the COPY columns> from billing_record with no data`);
2. the import: `sentinel import Oct Nov Dec` as a user runs it, a subprocess on a new migrated
   database, timed from its start to its exit (its baseline refresh included), with its peak
   RSS (wait4; Linux);
3. the restatement: on another new database, `sentinel import Oct Nov`, then Dec's first
   import `sentinel import Dec`, then `sentinel import Dec` again with a restated copy of the
   file (one cost changed: other bytes, the same billing period), each its own command, while a
   reader of every record polls every 10 ms: its longest wait is what the swap holds readers.

Ratio = import rows/s / reference rows/s, per round, then the median (target >= 0.5); the
restated re-import against Dec's first import (target: a restated month costs one load).
Reads ../shared/data/aws_cur; skips when it is missing. The scratch databases are on
SENTINEL_BENCH_ADMIN_URL's server (scratch.py) and dropped at the end.

    .venv/bin/python bench/bench_import.py [--rounds 3]
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peak_rss import Finished, run_measured
from scratch import ADMIN_URL, scratch_database
from sentinel.importers import base, open_export, source

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "aws_cur"
MONTHS = ("Oct", "Nov", "Dec")
SENTINEL = Path(sys.executable).parent / "sentinel"
PLAIN = "sentinel_data.bench_import_plain"


def month_file(month: str) -> Path:
    return DATA / f"{month}2018-WorkshopCUR-00001.snappy.parquet"


def mapped_chunks(paths: Iterable[Path]) -> Iterator[bytes]:
    """The importer's mapping of every file, one Arrow batch at a time, as COPY csv text."""
    for path in paths:
        export = open_export(path)
        fmt = export.format
        first_row = 0
        for batch in source.parquet_batches(export.source, fmt.wanted()):
            columns = fmt.map(batch, base.Position(export.source.name, first_row, csv=False))
            first_row += batch.num_rows
            yield base.to_csv(base.normalised(columns, 0))


def ahead(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """chunks, the next one made in a worker thread while the caller uses the current one."""
    with ThreadPoolExecutor(1) as worker:
        pending = worker.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = worker.submit(next, chunks, None)
            yield chunk


def create_plain_table(url: str) -> None:
    # Built from COPY_COLUMNS and the table itself, not a .sql file of its own: the reference
    # keeps the importer's columns and types whatever they become.
    columns = ", ".join(f'"{name}"' for name in base.COPY_COLUMNS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"create table {PLAIN} as select {columns}"
            " from sentinel_data.billing_record with no data"
        )


def reference(url: str, paths: list[Path]) -> tuple[float, tuple[int, Decimal]]:
    """Seconds of the reference load (see the module's docstring); its row count and sum."""
    columns = ", ".join(f'"{name}"' for name in base.COPY_COLUMNS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"truncate {PLAIN}")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with cur.copy(f"copy {PLAIN} ({columns}) from stdin (format csv)") as copy:
            for chunk in ahead(mapped_chunks(paths)):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        rows = conn.execute(f"select count(*), sum(cost) from {PLAIN}").fetchone()
    return seconds, rows


def mapping_only(paths: list[Path]) -> float:
    """Seconds to read, map and write the CSV of every file, nothing sent anywhere."""
    started = time.perf_counter()
    for _ in mapped_chunks(paths):
        pass
    return time.perf_counter() - started


def sentinel_import(url: str, *paths: Path) -> Finished:
    env = {**os.environ, "DATABASE_URL": url, "SENTINEL_LOG_LEVEL": "warning"}
    return run_measured([str(SENTINEL), "import", *map(str, paths)], env)


def split(finished: Finished) -> str:
    """The command's own account of its time: storing the rows, then the baseline refresh."""
    stored = re.search(r"imported .* in ([\d.]+) s", finished.stdout)
    refresh = re.search(r"refreshed the stored baselines .* in ([\d.]+) s", finished.stdout)
    return (
        f"rows {stored.group(1) if stored else '?'} s + refresh "
        f"{refresh.group(1) if refresh else '?'} s"
    )


def totals(url: str) -> tuple[int, Decimal]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select count(*), sum(cost) from sentinel_data.billing_record"
        ).fetchone()


def restated_copy(path: Path, folder: Path) -> Path:
    """The file with its first row's cost raised by one dollar: AWS restating the month."""
    table = pq.read_table(path)
    cost = open_export(path).format.columns["cost"]
    index = table.schema.get_field_index(cost)
    values = table.column(index).combine_chunks()
    changed = pa.concat_arrays([pc.add(values.slice(0, 1), 1.0), values.slice(1)])
    out = folder / path.name
    pq.write_table(table.set_column(index, table.field(index), changed), out, compression="snappy")
    return out


class Reader:
    """A reader of every record, polling every 10 ms in a thread while a restatement runs: the
    longest it waited is how long the swap held the account's records (the REST writers, who
    write billing_record_api, are not held)."""

    def __init__(self, url: str) -> None:
        self.url, self.waits, self.running = url, [0.0], True
        self.thread = threading.Thread(target=self._poll)

    def _poll(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while self.running:
                started = time.perf_counter()
                conn.execute("select count(*) from sentinel_data.billing_record where cost > 1e9")
                self.waits.append(time.perf_counter() - started)
                time.sleep(0.01)

    def __enter__(self) -> "Reader":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is missing (the shared CUR exports are not on this machine)")
        return 0
    paths = [month_file(month) for month in MONTHS]
    ratios, restate_ratios = [], []
    with ExitStack() as stack:
        reference_url = stack.enter_context(scratch_database(admin_url=args.admin_url))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        restated = restated_copy(month_file("Dec"), folder)
        create_plain_table(reference_url)
        mapping = mapping_only(paths)
        print(f"{'round':<6}{'reference s':>12}{'import s':>10}{'ratio':>7}  import's peak RSS")
        for number in range(1, args.rounds + 1):
            ref_seconds, rows = reference(reference_url, paths)
            with scratch_database(admin_url=args.admin_url) as url:
                whole = sentinel_import(url, *paths)
                stored = totals(url)
            if stored != rows:
                raise RuntimeError(f"import stored {stored} (count, sum), the reference {rows}")
            ratios.append(ref_seconds / whole.seconds)
            print(
                f"{number:<6}{ref_seconds:>12.2f}{whole.seconds:>10.2f}{ratios[-1]:>7.3f}"
                f"  {whole.peak_mib:.0f} MiB ({split(whole)})"
            )
            with scratch_database(admin_url=args.admin_url) as url:
                sentinel_import(url, *paths[:2])
                first = sentinel_import(url, paths[2])
                before = totals(url)
                with Reader(url) as reader:
                    again = sentinel_import(url, restated)
                after = totals(url)
            # The same rows, one of them a dollar dearer: a replacement, not an addition.
            if after != (before[0], before[1] + 1):
                raise RuntimeError(f"restated Dec: {before} (count, sum) became {after}")
            restate_ratios.append(again.seconds / first.seconds)
            print(
                f"{'':<6}Dec first import {first.seconds:.2f} s ({split(first)}, "
                f"{first.peak_mib:.0f} MiB); restated {again.seconds:.2f} s ({split(again)}, "
                f"{again.peak_mib:.0f} MiB); restated / first {restate_ratios[-1]:.2f}; "
                f"a reader of every record waited at most {max(reader.waits) * 1000:.0f} ms"
            )
    print(
        f"{rows[0]:,} rows, ${rows[1]:,.2f} (both paths). Median ratio import / reference "
        f"{statistics.median(ratios):.3f} (rows/s over rows/s; target >= 0.5); restated / "
        f"first import of Dec {statistics.median(restate_ratios):.2f} (seconds over seconds)"
    )
    print(f"of the reference: reading, mapping and CSV writing alone take {mapping:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
