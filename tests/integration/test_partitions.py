"""Imports by partition exchange: each billing account's period is a partition, a restated period
is swapped in whole, the rollups follow by the difference, and readers never see a half."""

import asyncio
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sentinel.queries import Queries
from tests.integration.test_import import CUR_PARQUET, run_import

# What the rollups must hold: the same sums computed from the records themselves.
ROLLUPS_FROM_RECORDS = {
    "hourly_cost": (
        "select service, account_id, region, hour, cost, record_count"
        " from sentinel_data.hourly_cost",
        "select service, account_id, region, date_trunc('hour', \"timestamp\", 'UTC'),"
        " sum(cost), count(*) from sentinel_data.billing_record where charge_type = 'usage'"
        " group by 1, 2, 3, 4",
    ),
    "service_hourly_cost": (
        "select service, hour, cost, record_count from sentinel_data.service_hourly_cost",
        "select service, date_trunc('hour', \"timestamp\", 'UTC'), sum(cost), count(*)"
        " from sentinel_data.billing_record where charge_type = 'usage' group by 1, 2",
    ),
    "service_totals": (
        "select service, record_count, cost_sum, cost_sum_squares, intraday_count"
        " from sentinel_data.service_totals",
        "select service, count(*), sum(cost), sum(cost * cost), count(*) filter ("
        " where charge_type = 'usage' and \"timestamp\" <> date_trunc('day', \"timestamp\", 'UTC'))"
        " from sentinel_data.billing_record group by 1",
    ),
}


@pytest.fixture
def clean(database_url: str):
    """No records, imports or partitions before and after (sentinel reset's function)."""

    def empty() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("select sentinel_internal.empty_billing_data()")

    empty()
    yield database_url
    empty()


def fetch(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def partitions(url: str) -> list[tuple]:
    """(billing account, period, import, table) of every import partition, with the table's
    place in the tree and its row count."""
    return fetch(
        url,
        "select listed.billing_account_id, listed.billing_period_start, listed.import_id,"
        " listed.table_name, parent.relname"
        " from sentinel_data.import_partition as listed"
        " join pg_inherits as link"
        " on link.inhrelid = format('sentinel_data.%%I', listed.table_name)::regclass"
        " join pg_class as parent on parent.oid = link.inhparent"
        " order by 1, 2",
    )


def assert_rollups_match_the_records(url: str) -> None:
    for name, (stored, computed) in ROLLUPS_FROM_RECORDS.items():
        assert sorted(fetch(url, stored)) == sorted(fetch(url, computed)), name


def first_usage_line() -> int:
    kinds = pq.read_table(CUR_PARQUET).column("line_item_line_item_type").to_pylist()
    return kinds.index("Usage")


def restated(tmp_path: Path, *, rows: int, extra: Decimal) -> Path:
    """The test export again, cut to its first rows, with `extra` added to the cost of its
    first usage line."""
    table = pq.read_table(CUR_PARQUET).slice(0, rows)
    index = table.column_names.index("line_item_unblended_cost")
    costs = table.column(index).to_pylist()
    line = first_usage_line()
    costs[line] = float(Decimal(repr(costs[line])) + extra)
    table = table.set_column(index, "line_item_unblended_cost", pa.array(costs, pa.float64()))
    path = tmp_path / "restated.parquet"
    pq.write_table(table, path)
    return path


def test_an_import_is_a_partition_of_its_account_and_period(clean):
    stored = run_import(clean, CUR_PARQUET)
    [(account, period, import_id, table, parent)] = partitions(clean)
    assert (period, import_id) == (date(2018, 10, 1), stored.id)
    # The account's own table holds its periods; it hangs off billing_record.
    [(account_table,)] = fetch(
        clean,
        "select table_name from sentinel_data.account_partition where billing_account_id = %s",
        (account,),
    )
    assert parent == account_table
    assert fetch(clean, f"select count(*) from sentinel_data.{table}") == [(300,)]
    # The staging table became the partition: nothing is left behind.
    assert fetch(clean, "select to_regclass('sentinel_data.incoming_records')") == [(None,)]
    assert_rollups_match_the_records(clean)


def test_a_restated_period_is_swapped_in_whole(clean, tmp_path):
    first = run_import(clean, CUR_PARQUET)
    [(_, _, _, old_table, _)] = partitions(clean)
    second = run_import(clean, restated(tmp_path, rows=290, extra=Decimal("1.5")))
    assert (second.row_count, second.replaced_rows) == (290, 300)
    [(_, _, import_id, new_table, _)] = partitions(clean)
    assert import_id == second.id
    assert new_table != old_table
    # The old partition is gone, not emptied.
    assert fetch(clean, "select to_regclass(%s)", (f"sentinel_data.{old_table}",)) == [(None,)]
    assert fetch(clean, "select count(*) from sentinel_data.billing_record") == [(290,)]
    assert fetch(clean, "select superseded_by from sentinel_data.billing_import where id = %s",
                 (first.id,)) == [(second.id,)]  # fmt: skip
    assert_rollups_match_the_records(clean)


def test_a_restatement_marks_only_the_hours_it_changed(clean, tmp_path):
    run_import(clean, CUR_PARQUET)
    with psycopg.connect(clean, autocommit=True) as conn:
        conn.execute("select sentinel.refresh_baselines()")
        conn.execute("delete from sentinel_data.alert_touch")
    [(service, hour)] = fetch(
        clean,
        "select line.service, date_trunc('hour', line.\"timestamp\", 'UTC')"
        " from sentinel.billing_line_items as line order by line.id offset %s limit 1",
        (first_usage_line(),),
    )
    run_import(clean, restated(tmp_path, rows=300, extra=Decimal("2")))
    # Every other bucket came back with the same sums: one change, at one hour.
    assert fetch(clean, "select service, first_hour, last_hour from sentinel.stale_baselines") == [
        (service, hour, hour)
    ]
    assert fetch(clean, "select service, first_hour, last_hour from sentinel_data.alert_touch") == [
        (service, hour, hour)
    ]
    assert_rollups_match_the_records(clean)


def swap_without_commit(url: str, account: str, period: date, cost: str) -> psycopg.Connection:
    """An import of one record for (account, period), swapped in and left uncommitted."""
    conn = psycopg.connect(url)
    [(import_id,)] = conn.execute(
        "insert into sentinel_data.billing_import (file_name, format, checksum)"
        " values ('held.csv', 'aws-cur-csv', 'held') returning id"
    ).fetchall()
    conn.execute("select sentinel_internal.open_incoming_records()")
    conn.execute(
        'insert into sentinel_data.incoming_records (service, cost, "timestamp", region,'
        " account_id, billing_account_id, billing_period_start, import_id)"
        " values ('S', %s, %s::date + interval '1 hour', 'r', %s, %s, %s, %s)",
        (cost, period, account, account, period, import_id),
    )
    conn.execute(
        "select sentinel_internal.attach_import(%s, %s, %s)", (import_id, [account], [period])
    )
    return conn


def test_a_first_import_blocks_no_reader_and_no_writer(clean):
    held = swap_without_commit(clean, "acct-new", date(2024, 1, 1), "5")
    try:
        with psycopg.connect(clean, autocommit=True) as other:
            other.execute("set lock_timeout = '2s'")
            # A reader of every record and a REST-style writer pass the attach.
            assert other.execute(
                "select count(*) from sentinel_data.billing_record"
            ).fetchone() == (0,)
            # (Another service: two open inserts of one rollup key wait for each other.)
            other.execute(
                'insert into sentinel_data.billing_record (service, cost, "timestamp", region,'
                " account_id) values ('T', 1, now(), 'r', 'a')"
            )
        held.commit()
    finally:
        held.close()
    assert fetch(clean, "select count(*) from sentinel_data.billing_record") == [(2,)]
    assert_rollups_match_the_records(clean)


def test_readers_of_a_replaced_period_see_the_old_rows_or_the_new_never_both(clean):
    held = swap_without_commit(clean, "acct-r", date(2024, 1, 1), "5")
    held.commit()
    held.close()
    held = swap_without_commit(clean, "acct-r", date(2024, 1, 1), "7")
    seen: list[tuple] = []
    reader = threading.Thread(
        target=lambda: seen.extend(
            fetch(clean, "select count(*), sum(cost) from sentinel_data.billing_record")
        )
    )
    try:
        with psycopg.connect(clean, autocommit=True) as other:
            other.execute("set lock_timeout = '200ms'")
            # The swap holds the account's table until its commit: readers wait...
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("select count(*) from sentinel_data.billing_record")
        reader.start()
        reader.join(0.3)
        assert reader.is_alive()
        held.commit()
    finally:
        held.close()
    reader.join(10)
    # ...and then see the new period alone.
    assert seen == [(1, Decimal("7"))]
    assert_rollups_match_the_records(clean)


def test_deleting_an_import_drops_its_partitions_and_their_sums(clean):
    stored = run_import(clean, CUR_PARQUET)
    [(_, _, _, table, _)] = partitions(clean)

    async def delete() -> None:
        async with await psycopg.AsyncConnection.connect(clean) as conn:
            await Queries().lock_imports(conn)
            deleted = await Queries().delete_import(conn, import_id=stored.id)
            assert (deleted.imports_deleted, deleted.records_deleted) == (1, 300)

    asyncio.run(delete())
    assert partitions(clean) == []
    assert fetch(clean, "select to_regclass(%s)", (f"sentinel_data.{table}",)) == [(None,)]
    for name in ROLLUPS_FROM_RECORDS:
        assert fetch(clean, f"select count(*) from sentinel_data.{name}") == [(0,)], name


def test_a_file_of_two_periods_becomes_two_partitions_replaced_one_by_one(clean, tmp_path):
    table = pq.read_table(CUR_PARQUET)
    index = table.column_names.index("bill_billing_period_start_date")
    starts = table.column(index).to_pylist()
    november = starts[0].replace(month=11)
    starts = starts[:100] + [november] * (len(starts) - 100)
    both = tmp_path / "two-periods.parquet"
    pq.write_table(
        table.set_column(index, table.field(index), pa.array(starts, table.field(index).type)), both
    )

    first = run_import(clean, both)
    assert [(period, n) for _, period, n in fetch(
        clean,
        "select billing_account_id, billing_period_start, count(*)"
        " from sentinel_data.billing_record group by 1, 2 order by 2",
    )] == [(date(2018, 10, 1), 100), (date(2018, 11, 1), 200)]  # fmt: skip
    tables = {period: table for _, period, _, table, _ in partitions(clean)}
    assert len(set(tables.values())) == 2
    assert_rollups_match_the_records(clean)

    # The October export alone replaces October and leaves November as it was.
    second = run_import(clean, CUR_PARQUET)
    assert second.replaced_rows == 100
    after = {period: (import_id, table) for _, period, import_id, table, _ in partitions(clean)}
    assert after[date(2018, 11, 1)] == (first.id, tables[date(2018, 11, 1)])
    assert after[date(2018, 10, 1)][0] == second.id
    assert fetch(clean, "select count(*) from sentinel_data.billing_record") == [(500,)]
    assert_rollups_match_the_records(clean)
