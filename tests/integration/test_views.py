"""The psql contract: views and functions of schema sentinel, their comments, the reader role."""

import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

VIEWS = ("anomalies", "billing_records", "cost_summary", "record_scores", "service_stats")


@pytest.fixture
def empty(db: psycopg.Connection) -> psycopg.Connection:
    """The rolled-back connection, on a billing table emptied inside its transaction."""
    db.execute("delete from sentinel_data.billing_record")
    return db


def insert(db: psycopg.Connection, rows: Sequence[tuple[str, str | Decimal]]) -> list[int]:
    """Store (service, cost) rows with fixed other fields; return their ids in order."""
    ids = []
    for service, cost in rows:
        row = db.execute(
            """
            insert into sentinel_data.billing_record
                (service, cost, "timestamp", region, account_id)
            values (%s, %s::numeric, '2024-03-01 12:00+00', 'us-east-1', '123456789012')
            returning id
            """,
            (service, str(cost)),
        ).fetchone()
        assert row is not None
        ids.append(row[0])
    return ids


def insert_costs(db: psycopg.Connection, service: str, costs: Sequence[str | int]) -> list[int]:
    return insert(db, [(service, str(cost)) for cost in costs])


def scores(db: psycopg.Connection) -> dict[int, tuple]:
    rows = db.execute(
        "select id, service_records, service_mean, service_stddev, z_score"
        " from sentinel.record_scores order by id"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


# --- the views ----------------------------------------------------------------------------------


def all_views(db: psycopg.Connection) -> list[str]:
    rows = db.execute(
        "select table_name from information_schema.views"
        " where table_schema = 'sentinel' order by table_name"
    ).fetchall()
    return [name for (name,) in rows]


def test_the_contract_schema_has_the_original_views(db: psycopg.Connection) -> None:
    # Later migrations may add views; these five are the original contract.
    assert set(VIEWS) <= set(all_views(db))


def test_billing_records_view_shows_the_stored_row(empty: psycopg.Connection) -> None:
    (record_id,) = insert(empty, [("EC2", "1.10")])

    row = empty.execute(
        "select id, service, cost, region, account_id, is_anomaly, created_at is not null"
        " from sentinel.billing_records"
    ).fetchall()

    assert row == [(record_id, "EC2", Decimal("1.10"), "us-east-1", "123456789012", False, True)]


def test_record_scores_hand_computed(empty: psycopg.Connection) -> None:
    a1, a3 = insert_costs(empty, "A", [1, 3])  # mean 2, sigma 1
    (b,) = insert_costs(empty, "B", [5])  # one record: no score
    c1, c2 = insert_costs(empty, "C", [7, 7])  # no spread: no score

    assert scores(empty) == {
        a1: (2, 2.0, 1.0, -1.0),
        a3: (2, 2.0, 1.0, 1.0),
        b: (1, 5.0, 0.0, None),
        c1: (2, 7.0, 0.0, None),
        c2: (2, 7.0, 0.0, None),
    }


def test_zero_spread_is_decided_on_exact_values(empty: psycopg.Connection) -> None:
    # Ten copies of 0.1 have a float stddev_pop that need not be exactly 0.
    ids = insert_costs(empty, "S3", ["0.1"] * 10)

    assert [scores(empty)[i][3] for i in ids] == [None] * 10


def test_z_score_of_an_outlier(empty: psycopg.Connection) -> None:
    costs = [1, 1, 1, 1, 1, 1, 1, 1, 1, 10]
    ids = insert_costs(empty, "A", costs)

    got = scores(empty)
    mean, sd = statistics.fmean(costs), statistics.pstdev(costs)
    for record_id, cost in zip(ids, costs, strict=True):
        records, service_mean, service_stddev, z = got[record_id]
        assert records == 10
        assert service_mean == pytest.approx(1.9, rel=1e-12)
        assert service_stddev == pytest.approx(2.7, rel=1e-12)
        assert z == pytest.approx((cost - mean) / sd, rel=1e-12)
    assert got[ids[-1]][3] == pytest.approx(3.0, rel=1e-12)


def test_service_stats(empty: psycopg.Connection) -> None:
    insert_costs(empty, "EC2", ["1.10", "2.20", "3.30"])
    insert_costs(empty, "S3", ["0.5"])

    rows = empty.execute(
        "select service, record_count, total_cost, mean_cost, stddev_cost, min_cost, max_cost"
        " from sentinel.service_stats order by service"
    ).fetchall()

    ec2, s3 = rows
    assert ec2[:3] == ("EC2", 3, Decimal("6.60"))  # numeric: exact
    assert ec2[3] == pytest.approx(2.2, rel=1e-12)
    assert ec2[4] == pytest.approx(statistics.pstdev([1.1, 2.2, 3.3]), rel=1e-12)
    assert ec2[5:] == (Decimal("1.10"), Decimal("3.30"))
    assert s3 == ("S3", 1, Decimal("0.5"), 0.5, 0.0, Decimal("0.5"), Decimal("0.5"))


def test_cost_summary_is_exact(empty: psycopg.Connection) -> None:
    insert_costs(empty, "EC2", ["1.10", "2.20"])
    insert_costs(empty, "RDS", ["0.1"] * 10)

    rows = empty.execute(
        "select service, total_cost from sentinel.cost_summary order by service"
    ).fetchall()

    assert rows == [("EC2", Decimal("3.30")), ("RDS", Decimal("1.0"))]


def test_views_are_empty_on_an_empty_table(empty: psycopg.Connection) -> None:
    for view in VIEWS:
        query = sql.SQL("select count(*) from sentinel.{}").format(sql.Identifier(view))
        assert empty.execute(query).fetchone() == (0,), view


# --- anomalies ----------------------------------------------------------------------------------


@pytest.fixture
def spread(empty: psycopg.Connection) -> dict[str, list[int]]:
    """Outliers scoring sqrt(6) = 2.449 (G) and sqrt(3) = 1.732 (H); one outlier among n
    otherwise equal costs scores sqrt(n - 1)."""
    return {
        "G": insert_costs(empty, "G", [0] * 6 + [1]),
        "H": insert_costs(empty, "H", [0] * 3 + [1]),
        "Lonely": insert_costs(empty, "Lonely", [1000]),
        "Flat": insert_costs(empty, "Flat", [5, 5, 5]),
    }


def test_anomalies_view_uses_threshold_two(empty: psycopg.Connection, spread) -> None:
    rows = empty.execute(
        "select id, service, cost, z_score from sentinel.anomalies order by id"
    ).fetchall()

    assert [row[:3] for row in rows] == [(spread["G"][-1], "G", Decimal("1"))]
    assert rows[0][3] == pytest.approx(math.sqrt(6), rel=1e-12)


def test_anomalies_function_takes_the_threshold(empty: psycopg.Connection, spread) -> None:
    rows = empty.execute(
        "select id, service, z_score from sentinel.anomalies(%s)", (1.5,)
    ).fetchall()

    assert [row[:2] for row in rows] == [(spread["G"][-1], "G"), (spread["H"][-1], "H")]
    assert rows[1][2] == pytest.approx(math.sqrt(3), rel=1e-12)


def test_anomalies_function_orders_by_absolute_z(empty: psycopg.Connection, spread) -> None:
    rows = empty.execute("select z_score from sentinel.anomalies(0)").fetchall()

    magnitudes = [abs(z) for (z,) in rows]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert len(rows) == 7 + 4  # every record of G and H; none of Lonely and Flat


def test_anomalies_threshold_is_strict(empty: psycopg.Connection) -> None:
    insert_costs(empty, "A", [1, 3])  # z = -1 and +1 exactly

    count = "select count(*) from sentinel.anomalies(%s)"
    assert empty.execute(count, (1.0,)).fetchone() == (0,)
    assert empty.execute(count, (0.999,)).fetchone() == (2,)


def test_anomalies_of_null_threshold_is_empty(empty: psycopg.Connection, spread) -> None:
    # The function is strict: a null threshold returns nothing rather than everything.
    assert empty.execute("select count(*) from sentinel.anomalies(null)").fetchone() == (0,)


def test_anomalies_view_equals_the_function_at_two(empty: psycopg.Connection, spread) -> None:
    view = empty.execute("select id, z_score from sentinel.anomalies order by id").fetchall()
    function = empty.execute(
        "select id, z_score from sentinel.anomalies(2.0) order by id"
    ).fetchall()

    assert view == function


# --- z_score property ---------------------------------------------------------------------------

SERVICES = ("EC2", "S3", "RDS", "Lambda")

records_strategy = st.integers(min_value=1, max_value=4).flatmap(
    lambda n: st.lists(
        st.tuples(
            st.sampled_from(SERVICES[:n]),
            # Like round(uniform(0, 10000), 2): cents as an integer, stored exactly.
            st.integers(min_value=0, max_value=1_000_000).map(lambda c: Decimal(c) / 100),
        ),
        min_size=1,
        max_size=25,
    )
)


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=records_strategy)
def test_z_score_is_cost_minus_mean_over_population_stddev(
    empty: psycopg.Connection, rows: list[tuple[str, Decimal]]
) -> None:
    with empty.transaction(force_rollback=True):
        ids = insert(empty, rows)
        got = scores(empty)

    by_service: dict[str, list[float]] = defaultdict(list)
    for service, cost in rows:
        by_service[service].append(float(cost))
    for record_id, (service, cost) in zip(ids, rows, strict=True):
        costs = by_service[service]
        records, mean, stddev, z = got[record_id]
        assert records == len(costs)
        assert math.isclose(mean, statistics.fmean(costs), rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(stddev, statistics.pstdev(costs), rel_tol=1e-9, abs_tol=1e-9)
        if len(costs) < 2 or len(set(costs)) == 1:
            assert z is None
        else:
            sigma = statistics.pstdev(costs)
            expected = (float(cost) - statistics.fmean(costs)) / sigma
            # cost - mean in double precision loses about eps * max|cost| before the division:
            # costs packed near 10000 a cent apart (sigma 0.005) leave ~1e-9 in z.
            conditioning = 16 * sys.float_info.epsilon * max(costs) / sigma
            assert z is not None
            assert math.isclose(z, expected, rel_tol=1e-9, abs_tol=max(1e-9, conditioning)), (
                z,
                expected,
            )


# --- comments -----------------------------------------------------------------------------------


def test_every_view_has_a_comment(db: psycopg.Connection) -> None:
    rows = db.execute(
        """
        select c.relname, obj_description(c.oid, 'pg_class')
        from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'sentinel' and c.relkind in ('v', 'm')
        order by c.relname
        """
    ).fetchall()

    assert set(VIEWS) <= {name for name, _ in rows}
    missing = [name for name, comment in rows if not comment]
    assert missing == [], f"views of schema sentinel without a comment: {missing}"


def test_every_function_has_a_comment(db: psycopg.Connection) -> None:
    rows = db.execute(
        """
        select p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc')
        from pg_proc as p
            join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = 'sentinel'
        """
    ).fetchall()

    assert "sentinel.anomalies(double precision)" in {name for name, _ in rows}
    missing = [name for name, comment in rows if not comment]
    assert missing == [], f"functions of schema sentinel without a comment: {missing}"


@pytest.mark.parametrize(
    ("view", "column"),
    [
        ("billing_records", "cost"),
        ("billing_records", "timestamp"),
        ("billing_records", "is_anomaly"),
        ("billing_records", "created_at"),
        ("service_stats", "total_cost"),
        ("service_stats", "mean_cost"),
        ("service_stats", "stddev_cost"),
        ("record_scores", "service_records"),
        ("record_scores", "service_mean"),
        ("record_scores", "service_stddev"),
        ("record_scores", "z_score"),
    ],
)
def test_non_obvious_columns_have_comments(db: psycopg.Connection, view: str, column: str) -> None:
    (comment,) = db.execute(
        """
        select col_description(c.oid, a.attnum)
        from pg_attribute as a
            join pg_class as c on c.oid = a.attrelid
            join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'sentinel' and c.relname = %s and a.attname = %s
        """,
        (view, column),
    ).fetchone()
    assert comment


def test_schemas_functions_and_role_have_comments(db: psycopg.Connection) -> None:
    described = db.execute(
        """
        select
            obj_description('sentinel'::regnamespace, 'pg_namespace'),
            obj_description('sentinel_data'::regnamespace, 'pg_namespace'),
            obj_description('sentinel.anomalies(double precision)'::regprocedure, 'pg_proc'),
            obj_description('sentinel_data.billing_record'::regclass, 'pg_class'),
            shobj_description(
                (select oid from pg_roles where rolname = 'sentinel_reader'), 'pg_authid'
            )
        """
    ).fetchone()

    assert described is not None
    assert all(described), described


# --- the read-only role -------------------------------------------------------------------------


@contextmanager
def as_reader(db: psycopg.Connection) -> Iterator[None]:
    """Inside a savepoint that is rolled back, which also undoes `set local role`."""
    with db.transaction(force_rollback=True):
        db.execute("set local role sentinel_reader")
        assert db.execute("select current_user").fetchone() == ("sentinel_reader",)
        yield


def test_reader_can_read_every_view(empty: psycopg.Connection) -> None:
    insert_costs(empty, "A", [1, 3])
    me = empty.execute("select current_user").fetchone()

    with as_reader(empty):
        for view in VIEWS:
            query = sql.SQL("select count(*) from sentinel.{}").format(sql.Identifier(view))
            expected = 0 if view == "anomalies" else (1 if view.endswith(("stats", "y")) else 2)
            assert empty.execute(query).fetchone() == (expected,), view
        assert empty.execute("select count(*) from sentinel.anomalies(0.5)").fetchone() == (2,)
        for view in all_views(empty):  # and any view added since
            query = sql.SQL("select count(*) from sentinel.{}").format(sql.Identifier(view))
            with empty.transaction():
                empty.execute(query)

    assert empty.execute("select current_user").fetchone() == me


@pytest.mark.parametrize(
    "statement",
    [
        "select id from sentinel_data.billing_record",
        'insert into sentinel.billing_records (service, cost, "timestamp", region, account_id)'
        " values ('EC2', 1, now(), 'r', 'a')",
        "update sentinel.billing_records set cost = 0",
        "delete from sentinel.billing_records",
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region,'
        " account_id) values ('EC2', 1, now(), 'r', 'a')",
        "create view sentinel.mine as select 1 as one",
        "create table public_notes (note text)",
    ],
    ids=[
        "select-private",
        "insert-view",
        "update-view",
        "delete-view",
        "insert-private",
        "create-in-sentinel",
        "create-in-public",
    ],
)
def test_reader_cannot_write_or_see_private_tables(
    empty: psycopg.Connection, statement: str
) -> None:
    insert_costs(empty, "A", [1, 3])

    with as_reader(empty), pytest.raises(psycopg.errors.InsufficientPrivilege):
        empty.execute(statement)

    assert empty.execute("select count(*) from sentinel_data.billing_record").fetchone() == (2,)
