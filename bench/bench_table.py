"""What the billing table's upkeep costs per record: the ceiling of every ingest path.

Batch ingest and imports end in a COPY into sentinel_data.billing_record; what that COPY costs
is set by what the table keeps up to date for the readers: its indexes (for /anomalies at 10M
records, the list filters, the ingest verdict) and its statement triggers (exact per-service
running totals, hourly rollups). This script loads the same 100k records by raw binary COPY
(10k per transaction, as the batch benchmark sends them) into the real table, first stripped to
its heap and primary key, then with each index and trigger added back one at a time, and prints
rows/s and microseconds per record for each step, in both data shapes of bench_ingest.py. The
first line is the reference: the same COPY into a table of the five columns alone.

    .venv/bin/python bench/bench_table.py [--records 100000] [--repeat 3]
"""

import argparse
import statistics

import psycopg

from bench_ingest import BATCH, BENCH_SQL, copy_tuples, records, timed_copy
from scratch import ADMIN_URL, scratch_database

# Added back in this order; each step keeps the ones before it.
INDEXES = ("billing_record_service_timestamp_idx", "billing_record_service_cost_idx")
# One statement trigger keeps the rollups, the totals and the evaluation queue (03_rollups.sql).
TRIGGERS = ("billing_record_insert",)


def copy_rows(url: str, rows: list[tuple], plain: bool = False) -> float:
    """Seconds to COPY rows into an emptied table, one transaction per BATCH rows: the billing
    table, or with plain the reference table of plain_table.sql."""
    copy_sql = (
        BENCH_SQL / ("copy_plain_table.sql" if plain else "copy_billing_records.sql")
    ).read_text()
    with psycopg.connect(url, autocommit=True) as conn:
        # The truncate triggers that empty the rollups are off in the first steps.
        conn.execute(
            "truncate sentinel_data.billing_record, sentinel_data.hourly_cost,"
            " sentinel_data.service_hourly_cost, sentinel_data.baseline_dirty,"
            " sentinel_data.service_totals, sentinel_data.bench_plain restart identity"
        )
    return timed_copy(url, copy_sql, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="loads per step (median taken)")
    args = parser.parse_args()
    with scratch_database(admin_url=args.admin_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute((BENCH_SQL / "plain_table.sql").read_text())
            definitions = dict(
                conn.execute(
                    "select indexname, indexdef from pg_indexes"
                    " where schemaname = 'sentinel_data' and tablename = 'billing_record'"
                ).fetchall()
            )
        for shape in ("minute", "hourly"):
            rows = copy_tuples(records(args.records, shape))
            print(f"\n{shape} shape, {args.records:,} records, raw binary COPY, {BATCH:,} a commit")
            print(f"{'table keeps':<46} {'rows/s':>9} {'us/record':>10} {'step':>8}")
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("alter table sentinel_data.billing_record disable trigger user")
                for name in INDEXES:
                    conn.execute(f"drop index sentinel_data.{name}")
            steps = [("(reference: the columns alone, plain table)", "plain")]
            steps += [("heap + primary key, defaults, checks", None)]
            steps += [(f"+ index {name}", definitions[name]) for name in INDEXES]
            steps += [
                (
                    f"+ trigger {name}",
                    f"alter table sentinel_data.billing_record enable trigger {name}",
                )
                for name in TRIGGERS
            ]
            previous = None
            for label, statement in steps:
                plain = statement == "plain"
                if statement and not plain:
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute(statement)
                seconds = statistics.median(copy_rows(url, rows, plain) for _ in range(args.repeat))
                per_record = seconds / len(rows) * 1e6
                step = "" if previous is None else f"+{per_record - previous:.1f}"
                print(f"{label:<46} {len(rows) / seconds:>9,.0f} {per_record:>10.1f} {step:>8}")
                previous = per_record
            # Every trigger is on again, the production table: the last line is its ceiling.


if __name__ == "__main__":
    main()
