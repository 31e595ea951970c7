"""State migrations and the code built from sql/schema/: round trips, rebuilds, and the upgrade of
a database built by Sentinel 0.1 (migrations 0001-0012, kept in tests/data/legacy-migrations)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from yoyo import get_backend, read_migrations

from sentinel.db import resource_dir
from sentinel.migrations import (
    BASELINE_ID,
    LEGACY_IDS,
    apply_migrations,
    rollback_migrations,
    yoyo_url,
)

CONTRACT_VIEWS = {"anomalies", "billing_records", "cost_summary", "record_scores", "service_stats"}
LEGACY_MIGRATIONS = Path(__file__).parents[1] / "data" / "legacy-migrations"

# Every function, view and trigger of the code, as PostgreSQL prints it back.
CODE_DEFINITIONS = """
select p.oid::regprocedure::text, pg_get_functiondef(p.oid)
from pg_proc as p
join pg_namespace as n on n.oid = p.pronamespace
where n.nspname in ('sentinel', 'sentinel_internal') and p.prokind <> 'a'
union all
select 'view ' || c.oid::regclass::text, pg_get_viewdef(c.oid)
from pg_class as c
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = 'sentinel' and c.relkind = 'v'
union all
select 'trigger ' || t.tgname, pg_get_triggerdef(t.oid)
from pg_trigger as t
where not t.tgisinternal
order by 1
"""

# Tables, columns, constraints and indexes of sentinel_data, with their comments.
STATE_DEFINITIONS = """
select 'column ' || table_name || '.' || column_name,
    concat_ws(' ', data_type, is_nullable, column_default, ordinal_position,
        col_description(format('sentinel_data.%I', table_name)::regclass, ordinal_position::int))
from information_schema.columns
where table_schema = 'sentinel_data'
union all
select 'constraint ' || conname, pg_get_constraintdef(oid)
from pg_constraint
where connamespace = 'sentinel_data'::regnamespace
union all
select 'index ' || indexname, indexdef
from pg_indexes
where schemaname = 'sentinel_data'
union all
select 'table ' || relname, obj_description(oid, 'pg_class')
from pg_class
where relnamespace = 'sentinel_data'::regnamespace and relkind = 'r'
order by 1
"""


def fetch(url: str, query: str, params: dict | None = None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        conn.execute("set extra_float_digits = 3")
        return conn.execute(query, params).fetchall()


def migration_ids() -> list[str]:
    """Every migration in migrations/, oldest first (yoyo orders them by id)."""
    return sorted(
        path.name.removesuffix(".sql")
        for path in resource_dir("migrations").glob("*.sql")
        if not path.name.endswith(".rollback.sql")
    )


def schemas(url: str) -> set[str]:
    rows = fetch(
        url,
        "select nspname from pg_namespace"
        " where nspname in ('sentinel', 'sentinel_data', 'sentinel_internal')",
    )
    return {name for (name,) in rows}


def views(url: str) -> set[str]:
    rows = fetch(
        url, "select table_name from information_schema.views where table_schema = 'sentinel'"
    )
    return {name for (name,) in rows}


def insert_records(url: str, rows: list[tuple[str, float, datetime]]) -> None:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into sentinel_data.billing_record"
            ' (service, cost, "timestamp", region, account_id)'
            " values (%s, %s, %s, 'us-east-1', '111111111111')",
            rows,
        )


def three_weeks(services: int = 3) -> list[tuple[str, float, datetime]]:
    """Hourly costs with a daily shape, a noise pattern and one spike per service."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rows = []
    for hour in range(21 * 24):
        when = start + timedelta(hours=hour)
        for s in range(services):
            cost = (1 + s) * (1.5 if 8 <= when.hour < 20 else 1.0) * (1 + (hour * 7 % 11) / 50)
            if hour == 20 * 24 + 10:
                cost *= 6
            rows.append((f"svc-{s}", round(cost, 4), when))
    return rows


VERDICTS = """
select service, bucket, cost, baseline_count, expected, spread, score, anomaly
from sentinel.detect(%(method)s, 'hour', array['service'], %(window)s::interval, %(threshold)s)
order by service, bucket
"""


def verdicts(url: str) -> dict[str, list[tuple]]:
    """The default calls of both stored detectors, and the original rule."""
    found = {
        method: fetch(url, VERDICTS, {"method": method, "window": window, "threshold": threshold})
        for method, window, threshold in (("seasonal", "28 days", 5.0), ("trailing", "7 days", 3.0))
    }
    found["zscore"] = fetch(url, "select id, z_score from sentinel.anomalies(2.0) order by id")
    return found


def numbers(found: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The baselines of the detectors' verdicts (service, bucket, cost, count, expected,
    spread), without the verdicts."""
    return {
        method: [row[:6] for row in rows] if method != "zscore" else rows
        for method, rows in found.items()
    }


def stored_baselines(url: str) -> list[tuple]:
    return fetch(
        url,
        "select service, hour, baseline_count, baseline_mean, baseline_stddev, seasonal_ratio,"
        " seasonal_count, seasonal_shape, seasonal_expected, seasonal_spread"
        " from sentinel_data.service_hourly_cost order by service, hour",
    )


def refresh(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select sentinel.refresh_baselines()").fetchone()[0]


def test_round_trip(new_database) -> None:
    url = new_database()
    every = migration_ids()
    assert every[0] == BASELINE_ID
    assert schemas(url) == set()

    migrated = apply_migrations(url)
    assert migrated.applied == every
    assert migrated.rebuilt
    assert not migrated.adopted
    assert schemas(url) == {"sentinel", "sentinel_data", "sentinel_internal"}
    assert views(url) >= CONTRACT_VIEWS
    second = apply_migrations(url)
    assert (second.applied, second.rebuilt) == ([], False)  # nothing pending, code current

    insert_records(url, [("A", 1, datetime.now(UTC)), ("A", 3, datetime.now(UTC))])
    assert fetch(url, "select count(*) from sentinel.anomalies(0.5)") == [(2,)]

    assert rollback_migrations(url, count=None) == list(reversed(every))
    assert schemas(url) == set()
    assert rollback_migrations(url, count=None) == []

    assert apply_migrations(url).applied == every
    assert views(url) >= CONTRACT_VIEWS
    # The table came back empty: rolling back the baseline dropped the stored records.
    assert fetch(url, "select count(*) from sentinel.billing_records") == [(0,)]
    assert fetch(
        url, "select has_table_privilege('sentinel_reader', 'sentinel.record_scores', 'select')"
    ) == [(True,)]


def test_rolling_back_the_newest_keeps_the_records_and_migrate_rebuilds_the_code(
    new_database,
) -> None:
    url = new_database()
    applied = apply_migrations(url).applied
    insert_records(url, [("A", 1.5, datetime.now(UTC))])

    # Down to the baseline one step at a time: only the state remains, with its row.
    for expected in reversed(applied[1:]):
        assert rollback_migrations(url) == [expected]
    assert schemas(url) == {"sentinel_data"}
    assert fetch(url, "select service, cost from sentinel_data.billing_record") == [("A", 1.5)]

    migrated = apply_migrations(url)
    assert (migrated.applied, migrated.rebuilt) == (applied[1:], True)
    assert fetch(url, "select service, total_cost from sentinel.cost_summary") == [("A", 1.5)]


def test_a_changed_schema_file_is_built_again_and_building_twice_changes_nothing(
    new_database,
) -> None:
    url = new_database()
    apply_migrations(url)
    insert_records(url, three_weeks())
    assert refresh(url) == 3
    before = fetch(url, CODE_DEFINITIONS), verdicts(url), stored_baselines(url)

    # Another checksum (as after an edit of sql/schema/) makes the next migrate rebuild.
    with psycopg.connect(url) as conn:
        conn.execute("update sentinel_data.schema_build set checksum = 'edited'")
    migrated = apply_migrations(url)
    assert (migrated.applied, migrated.rebuilt) == ([], True)
    # The rebuild marked every service stale: the detectors compute them in full meanwhile,
    # with the same verdicts, and a refresh recomputes the stored baselines bit for bit.
    assert {row[0] for row in fetch(url, "select service from sentinel.stale_baselines")} == {
        "svc-0",
        "svc-1",
        "svc-2",
    }
    assert fetch(url, CODE_DEFINITIONS) == before[0]
    assert verdicts(url) == before[1]
    assert refresh(url) == 3
    assert (verdicts(url), stored_baselines(url)) == before[1:]
    assert not apply_migrations(url).rebuilt


def test_no_state_depends_on_the_code_schemas_but_triggers(database_url: str) -> None:
    """`drop schema sentinel, sentinel_internal cascade` must never take state with it."""
    rows = fetch(
        database_url,
        """
        select distinct pg_describe_object(dep.classid, dep.objid, dep.objsubid)
        from pg_depend as dep
        join pg_proc as p on dep.refclassid = 'pg_proc'::regclass and dep.refobjid = p.oid
        where p.pronamespace in ('sentinel'::regnamespace, 'sentinel_internal'::regnamespace)
            and dep.classid not in ('pg_proc'::regclass, 'pg_rewrite'::regclass,
                'pg_trigger'::regclass, 'pg_aggregate'::regclass)
        """,
    )
    assert rows == []


def test_every_code_object_is_created_in_exactly_one_schema_file() -> None:
    """One home per view and function: no file creates what another one does."""
    import re

    created: dict[str, list[str]] = {}
    statement = re.compile(
        r"^create ((?:function|view|aggregate|trigger) [a-z_.]+)", re.MULTILINE | re.IGNORECASE
    )
    for path in sorted((resource_dir("sql") / "schema").glob("*.sql")):
        for name in statement.findall(path.read_text()):
            created.setdefault(name, []).append(path.name)
    assert len(created) > 40
    assert {name: files for name, files in created.items() if len(files) > 1} == {}
    assert not any(
        "create function" in path.read_text() or "create view" in path.read_text()
        for path in resource_dir("migrations").glob("*.sql")
    )


def legacy_backend(url: str):
    backend = get_backend(yoyo_url(url))
    return backend, read_migrations(str(LEGACY_MIGRATIONS))


@pytest.fixture
def legacy_database(new_database) -> str:
    """A database as Sentinel 0.1 left it: migrations 0001-0012 with records and stored
    baselines (refreshed by its own code)."""
    url = new_database()
    backend, migrations = legacy_backend(url)
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations))
    assert [m.id for m in migrations] == list(LEGACY_IDS)
    insert_records(url, three_weeks())
    assert refresh(url) == 3
    return url


def test_a_database_of_sentinel_0_1_upgrades_in_place(legacy_database, new_database) -> None:
    url = legacy_database
    records = fetch(url, "select * from sentinel_data.billing_record order by id")
    before, baselines = verdicts(url), stored_baselines(url)
    assert any(row[-1] for row in before["seasonal"])  # the spike is flagged

    migrated = apply_migrations(url)
    assert migrated.adopted
    assert migrated.rebuilt
    assert migrated.applied == [m for m in migration_ids() if m != BASELINE_ID]
    assert fetch(url, "select * from sentinel_data.billing_record order by id") == records
    # Stale after the rebuild, computed in full: the same baselines; refreshed: the same
    # numbers. The verdicts are v2's (increases, enough history, material): some of 0.1's flags.
    assert numbers(verdicts(url)) == numbers(before)
    assert refresh(url) == 3
    after = verdicts(url)
    assert (numbers(after), stored_baselines(url)) == (numbers(before), baselines)
    flagged = {method: {row[:2] for row in rows if row[-1]} for method, rows in after.items()}
    assert flagged["seasonal"]
    assert flagged["seasonal"] <= {row[:2] for row in before["seasonal"] if row[-1]}
    assert after["zscore"] == before["zscore"]  # the original rule is unchanged
    # The 0.1 code kept in sentinel_data is gone; its triggers are the new code's.
    assert (
        fetch(
            url,
            "select proname from pg_proc where pronamespace = 'sentinel_data'::regnamespace",
        )
        == []
    )
    insert_records(url, [("svc-0", 2.0, datetime(2026, 2, 1, tzinfo=UTC))])
    assert fetch(url, "select count(*) from sentinel.stale_baselines where service = 'svc-0'") == [
        (1,)
    ]

    # Upgraded and fresh databases hold the same state and the same code.
    fresh = new_database()
    apply_migrations(fresh)
    assert fetch(url, STATE_DEFINITIONS) == fetch(fresh, STATE_DEFINITIONS)
    assert fetch(url, CODE_DEFINITIONS) == fetch(fresh, CODE_DEFINITIONS)
    assert not apply_migrations(url).rebuilt


def test_a_partly_migrated_database_of_sentinel_0_1_is_refused(new_database) -> None:
    from sentinel.migrations import MigrationError

    url = new_database()
    backend, migrations = legacy_backend(url)
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations)[:3])
    with pytest.raises(MigrationError, match="only part of the way"):
        apply_migrations(url)


def test_new_sessions_of_a_migrated_database_run_without_jit(database_url: str) -> None:
    # Compiling the detectors' large plans cost 0.5-1.7 s a call at 10M records (migration 0019).
    assert fetch(database_url, "show jit") == [("off",)]


def test_imported_rows_move_to_partitions_of_their_own_and_back(new_database) -> None:
    url = new_database()
    apply_migrations(url)
    # The state before 0020: one plain table, imported rows beside the API's.
    assert rollback_migrations(url) == ["0020.partitioned-records"]
    with psycopg.connect(url) as conn:
        [(import_id,)] = conn.execute(
            "insert into sentinel_data.billing_import (file_name, format, checksum)"
            " values ('cur.parquet', 'aws-cur-parquet', 'x') returning id"
        ).fetchall()
        conn.cursor().executemany(
            'insert into sentinel_data.billing_record (service, cost, "timestamp", region,'
            " account_id, billing_account_id, billing_period_start, import_id)"
            " values (%s, 1, '2024-01-02', 'r', 'a', %s, %s, %s)",
            [
                ("api", None, None, None),
                ("jan", "payer-1", datetime(2024, 1, 1).date(), import_id),
                ("jan", "payer-1", datetime(2024, 1, 1).date(), import_id),
                ("feb", "payer-1", datetime(2024, 2, 1).date(), import_id),
                ("other", "payer-2", datetime(2024, 1, 1).date(), import_id),
            ],
        )
    before = fetch(url, "select id, service from sentinel_data.billing_record order by id")

    assert apply_migrations(url).applied == ["0020.partitioned-records"]
    placed = fetch(
        url,
        "select id, service, tableoid::regclass::text"
        " from sentinel_data.billing_record order by id",
    )
    assert [(i, s) for i, s, _ in placed] == before  # same rows, same ids
    where = {service: table for _, service, table in placed}
    assert where["api"] == "sentinel_data.billing_record_api"
    assert len({where["jan"], where["feb"], where["other"], where["api"]}) == 4
    assert fetch(
        url,
        "select billing_account_id, billing_period_start::text, import_id"
        " from sentinel_data.import_partition order by 1, 2",
    ) == [
        ("payer-1", "2024-01-01", import_id),
        ("payer-1", "2024-02-01", import_id),
        ("payer-2", "2024-01-01", import_id),
    ]
    # New ids continue after the old ones.
    insert_records(url, [("new", 1, datetime.now(UTC))])
    newest = fetch(url, "select max(id) from sentinel_data.billing_record")
    assert newest == [(before[-1][0] + 1,)]

    assert rollback_migrations(url) == ["0020.partitioned-records"]
    kept = fetch(
        url,
        "select id, service from sentinel_data.billing_record where service <> 'new' order by id",
    )
    assert kept == before
    assert fetch(
        url, "select relkind from pg_class where oid = 'sentinel_data.billing_record'::regclass"
    ) == [("r",)]
