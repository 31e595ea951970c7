"""Import throughput of the three 2018 CUR Parquet months vs raw psycopg binary COPY.

Both paths write the same rows into the same table (all migrations applied: its indexes and
triggers count for both), in the same run, one transaction per month, emptied in between.
Reads ../shared/data/aws_cur; creates a scratch database on SENTINEL_BENCH_ADMIN_URL's server
(default postgresql://postgres@127.0.0.1:5432/postgres) and drops it at the end.

    .venv/bin/python bench/bench_import.py
"""

import asyncio
import sys
import time
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from scratch import scratch_database
from sentinel.importers import base, checksum, import_export, open_export
from sentinel.importers.pipeline import Batches
from sentinel.queries import Queries

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "aws_cur"
MONTHS = ("Oct", "Nov", "Dec")
TYPES = ["text", "numeric", "timestamptz", "text", "text", "text", "text", "text", "text", "date",
         "text", "jsonb", "int8"]  # fmt: skip


def rows_of(path: Path) -> list[tuple]:
    """The mapped rows as Python values, built before the clock starts (raw COPY's input)."""
    export = open_export(path)
    batches = Batches(export, import_id=0)
    out: list[tuple] = []
    for batch in source_tables(batches):
        columns = [batch.column(name).to_pylist() for name in base.COPY_COLUMNS]
        columns[1] = [Decimal(repr(c)) for c in columns[1]]
        columns[11] = [None if t is None else Jsonb(t) for t in columns[11]]
        out.extend(zip(*columns, strict=True))
    return out


def source_tables(batches: Batches):
    src, fmt = batches.export.source, batches.export.format
    from sentinel.importers import source

    for batch in source.parquet_batches(src, fmt.wanted()):
        position = base.Position(src.name, 0, csv=False)
        yield base.normalised(fmt.map(batch, position), 0)


def raw_copy(url: str, rows: list[tuple], copy_sql: str) -> float:
    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(copy_sql.replace("format csv", "format binary")) as copy,
        ):
            copy.set_types(TYPES)
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - start


async def sentinel_import(url: str, path: Path) -> tuple[float, int]:
    queries = Queries()
    async with await psycopg.AsyncConnection.connect(url, options="-c TimeZone=UTC") as conn:
        start = time.perf_counter()
        export = open_export(path)
        result = await import_export(conn, queries, export, file_checksum=checksum(path))
        return time.perf_counter() - start, result.row_count


def empty(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("truncate sentinel_data.billing_record, sentinel_data.billing_import")
        conn.execute("vacuum analyze sentinel_data.billing_record")


def main() -> int:
    if not DATA.is_dir():
        print(f"skipped: {DATA} is missing (the shared CUR exports are not on this machine)")
        return 0
    with scratch_database() as url:
        copy_sql = Queries()._sql["copy_billing_records"]
        total_rows = total_import = total_raw = 0.0
        print(f"{'month':<6}{'rows':>9}{'import s':>10}{'rows/s':>10}{'raw COPY s':>12}"
              f"{'rows/s':>10}{'ratio':>7}")  # fmt: skip
        for month in MONTHS:
            path = DATA / f"{month}2018-WorkshopCUR-00001.snappy.parquet"
            rows = rows_of(path)
            empty(url)
            raw = raw_copy(url, rows, copy_sql)
            empty(url)
            seconds, count = asyncio.run(sentinel_import(url, path))
            assert count == len(rows)
            total_rows += count
            total_import += seconds
            total_raw += raw
            print(f"{month:<6}{count:>9,}{seconds:>10.2f}{count / seconds:>10,.0f}{raw:>12.2f}"
                  f"{count / raw:>10,.0f}{raw / seconds:>7.2f}")  # fmt: skip
        print(f"{'all':<6}{int(total_rows):>9,}{total_import:>10.2f}"
              f"{total_rows / total_import:>10,.0f}{total_raw:>12.2f}"
              f"{total_rows / total_raw:>10,.0f}{total_raw / total_import:>7.2f}")  # fmt: skip
        print("ratio = import rows/s / raw binary COPY rows/s (same rows, same table, same run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
