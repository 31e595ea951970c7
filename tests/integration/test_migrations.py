"""One migration round trip on a fresh database: apply all, roll back all, apply all."""

import psycopg

from sentinel.db import resource_dir
from sentinel.migrations import apply_migrations, rollback_migrations

CONTRACT_VIEWS = {"anomalies", "billing_records", "cost_summary", "record_scores", "service_stats"}


def migration_ids() -> list[str]:
    """Every migration in migrations/, oldest first (yoyo orders them by id)."""
    return sorted(
        path.name.removesuffix(".sql")
        for path in resource_dir("migrations").glob("*.sql")
        if not path.name.endswith(".rollback.sql")
    )


def schemas(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select nspname from pg_namespace where nspname in ('sentinel', 'sentinel_data')"
        ).fetchall()
    return {name for (name,) in rows}


def views(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select table_name from information_schema.views where table_schema = 'sentinel'"
        ).fetchall()
    return {name for (name,) in rows}


def anomalies_function_exists(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select to_regprocedure('sentinel.anomalies(double precision)') is not null"
        ).fetchone()
    return bool(row and row[0])


def test_round_trip(new_database) -> None:
    url = new_database()
    every = migration_ids()
    assert every[:3] == ["0001.billing-records", "0002.statistics-views", "0003.reader-role"]
    assert schemas(url) == set()

    applied = apply_migrations(url)
    assert sorted(applied) == every
    assert applied[:3] == every[:3]  # dependencies first
    assert schemas(url) == {"sentinel", "sentinel_data"}
    assert views(url) >= CONTRACT_VIEWS
    assert anomalies_function_exists(url)
    assert apply_migrations(url) == []  # nothing pending the second time

    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into sentinel_data.billing_record"
            ' (service, cost, "timestamp", region, account_id)'
            " values ('A', 1, now(), 'r', 'a'), ('A', 3, now(), 'r', 'a')"
        )
        assert conn.execute("select count(*) from sentinel.anomalies(0.5)").fetchone() == (2,)

    assert rollback_migrations(url, count=None) == list(reversed(applied))
    assert schemas(url) == set()
    assert views(url) == set()
    assert not anomalies_function_exists(url)
    assert rollback_migrations(url, count=None) == []

    assert apply_migrations(url) == applied
    assert views(url) >= CONTRACT_VIEWS
    assert anomalies_function_exists(url)
    with psycopg.connect(url) as conn:
        # The table came back empty: rolling back 0001 dropped the stored records.
        assert conn.execute("select count(*) from sentinel.billing_records").fetchone() == (0,)
        assert conn.execute(
            "select has_table_privilege('sentinel_reader', 'sentinel.record_scores', 'select')"
        ).fetchone() == (True,)


def test_rolling_back_the_newest_keeps_the_records(new_database) -> None:
    url = new_database()
    applied = apply_migrations(url)
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into sentinel_data.billing_record"
            ' (service, cost, "timestamp", region, account_id)'
            " values ('A', 1.5, now(), 'r', 'a')"
        )

    # Down to 0001 one step at a time: only the table remains, with its row.
    for expected in reversed(applied[1:]):
        assert rollback_migrations(url) == [expected]
    assert schemas(url) == {"sentinel_data"}
    with psycopg.connect(url) as conn:
        assert conn.execute(
            "select service, cost from sentinel_data.billing_record"
        ).fetchall() == [("A", 1.5)]

    assert apply_migrations(url) == applied[1:]
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from sentinel.billing_records").fetchone() == (1,)
