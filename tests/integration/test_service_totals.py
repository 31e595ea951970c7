"""The fast path of the original rule (migration 0010): running totals kept by triggers must give
exactly what the window-function view gives, whatever the data and whatever was changed."""

from collections import defaultdict
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

costs = st.decimals(min_value=Decimal("-50"), max_value=Decimal("5000"), places=2)
rows = st.lists(st.tuples(st.sampled_from(["EC2", "S3", "RDS"]), costs), max_size=40)


@pytest.fixture
def empty(db: psycopg.Connection) -> psycopg.Connection:
    db.execute("delete from sentinel_data.billing_record")
    return db


def store(db: psycopg.Connection, data: list[tuple[str, Decimal]]) -> None:
    with db.cursor() as cur:
        cur.executemany(
            "insert into sentinel_data.billing_record"
            ' (service, cost, "timestamp", region, account_id)'
            " values (%s, %s, '2026-01-01 00:00+00', 'us-east-1', '1')",
            data,
        )


def fast(db: psycopg.Connection, threshold: float) -> list[tuple]:
    return db.execute(
        "select id, round(z_score::numeric, 3) from sentinel.anomalies(%s)", (threshold,)
    ).fetchall()


def reference(db: psycopg.Connection, threshold: float) -> list[tuple]:
    return db.execute(
        "select id, round(z_score::numeric, 3) from sentinel.record_scores"
        " where abs(z_score) > %s order by abs(z_score) desc, id",
        (threshold,),
    ).fetchall()


def totals(db: psycopg.Connection) -> dict[str, tuple]:
    stored = db.execute(
        "select service, record_count, cost_sum, cost_sum_squares from sentinel_data.service_totals"
    ).fetchall()
    return {service: rest for service, *rest in stored}


def expected_totals(data: list[tuple[str, Decimal]]) -> dict[str, tuple]:
    by_service: dict[str, list[Decimal]] = defaultdict(list)
    for service, cost in data:
        by_service[service].append(cost)
    return {
        service: [len(values), sum(values), sum(v * v for v in values)]
        for service, values in by_service.items()
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=rows,
    second=rows,
    drop_every=st.integers(min_value=2, max_value=5),
    threshold=st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0]),
)
def test_fast_anomalies_equal_the_window_view_after_inserts_updates_deletes(
    empty, first, second, drop_every, threshold
):
    with empty.transaction(force_rollback=True):
        store(empty, first)
        store(empty, second)
        empty.execute(
            "delete from sentinel_data.billing_record where mod(id, %s) = 0", (drop_every,)
        )
        empty.execute(
            "update sentinel_data.billing_record set cost = cost * 2 where mod(id, 3) = 1"
        )
        assert fast(empty, threshold) == reference(empty, threshold)
        remaining = empty.execute(
            "select service, cost from sentinel_data.billing_record"
        ).fetchall()
        assert totals(empty) == expected_totals(remaining)


def test_totals_follow_truncate_and_reach_zero(empty):
    store(empty, [("EC2", Decimal("1.10")), ("EC2", Decimal("2.20")), ("S3", Decimal("5"))])
    assert totals(empty) == {
        "EC2": [2, Decimal("3.30"), Decimal("6.0500")],
        "S3": [1, Decimal("5"), Decimal("25")],
    }
    empty.execute("delete from sentinel_data.billing_record where service = 'S3'")
    assert set(totals(empty)) == {"EC2"}  # a service with no records left has no totals row
    empty.execute("truncate sentinel_data.billing_record")
    assert totals(empty) == {}


def test_summary_reads_the_exact_totals(empty):
    store(empty, [("EC2", Decimal("0.10"))] * 3)
    [(total,)] = empty.execute("select total_cost from sentinel.cost_summary").fetchall()
    assert total == Decimal("0.30")  # exact, not 0.30000000000000004
