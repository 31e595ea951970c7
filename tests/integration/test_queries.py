"""The typed query wrappers against PostgreSQL, each test in a transaction that is rolled back."""

import statistics
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import AsyncConnection

from sentinel.queries import Queries
from sentinel.schemas import Anomaly, BillingRecord, BillingRecordIn

pytestmark = pytest.mark.anyio

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def queries() -> Queries:
    return Queries()


@pytest.fixture
async def conn(aconn: AsyncConnection) -> AsyncConnection:
    """The rolled-back connection, on a billing table emptied inside its transaction."""
    await aconn.execute("delete from sentinel_data.billing_record")
    return aconn


def record(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "service": "EC2",
        "cost": 1.25,
        "timestamp": T0,
        "region": "us-east-1",
        "account_id": "123456789012",
    }
    values.update(changes)
    return BillingRecordIn(**values).model_dump()


async def store_costs(
    queries: Queries, conn: AsyncConnection, service: str, costs: Sequence[float]
) -> list[BillingRecord]:
    records = [record(service=service, cost=cost) for cost in costs]
    return await queries.insert_billing_records(conn, records=records)


async def listed(queries: Queries, conn: AsyncConnection, **filters: Any) -> list[dict[str, Any]]:
    return [row async for page in queries.list_billing_records(conn, **filters) for row in page]


async def test_insert_one_returns_the_stored_record(queries: Queries, conn) -> None:
    [stored] = await queries.insert_billing_records(
        conn, records=[record(timestamp=datetime(2024, 3, 1, 14, tzinfo=UTC), is_anomaly=True)]
    )

    assert isinstance(stored, BillingRecord)
    assert stored.model_dump(exclude={"id", "created_at"}) == {
        "service": "EC2",
        "cost": 1.25,
        "timestamp": datetime(2024, 3, 1, 14, tzinfo=UTC),
        "region": "us-east-1",
        "account_id": "123456789012",
        "is_anomaly": True,
    }
    # created_at is now() of this transaction.
    (now,) = await (await conn.execute("select now()")).fetchone()
    assert stored.created_at == now


async def test_insert_many_returns_input_order(queries: Queries, conn) -> None:
    services = ["S3", "EC2", "RDS", "EC2", "Lambda", "A"]
    costs = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    records = [
        record(service=s, cost=c, timestamp=T0 - timedelta(hours=i), is_anomaly=i == 2)
        for i, (s, c) in enumerate(zip(services, costs, strict=True))
    ]

    stored = await queries.insert_billing_records(conn, records=records)

    assert [r.service for r in stored] == services
    assert [r.cost for r in stored] == costs
    assert [r.timestamp for r in stored] == [T0 - timedelta(hours=i) for i in range(6)]
    assert [r.is_anomaly for r in stored] == [False, False, True, False, False, False]
    ids = [r.id for r in stored]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert [BillingRecord(**row) for row in await listed(queries, conn)] == stored


async def anomalies(queries: Queries, conn, threshold: float) -> list[Anomaly]:
    """find_anomalies' pages, read whole, as models."""
    pages = queries.find_anomalies(conn, threshold=threshold)
    return [Anomaly(**row) async for page in pages for row in page]


async def test_insert_many_of_nothing(queries: Queries, conn) -> None:
    assert await queries.insert_billing_records(conn, records=[]) == []


async def test_wrappers_take_keyword_arguments_only(queries: Queries, conn) -> None:
    with pytest.raises(TypeError):
        queries.find_anomalies(conn, 2.0)  # type: ignore[misc]


async def test_get_billing_record(queries: Queries, conn) -> None:
    stored = await store_costs(queries, conn, "EC2", [1.0, 2.0])

    assert await queries.get_billing_record(conn, record_id=stored[1].id) == stored[1]
    assert await queries.get_billing_record(conn, record_id=stored[1].id + 1000) is None


@pytest.fixture
async def mixed(queries: Queries, conn) -> list[BillingRecord]:
    return await queries.insert_billing_records(
        conn,
        records=[
            record(service="EC2", region="us-east-1", cost=1.0),
            record(service="S3", region="us-east-1", cost=2.0),
            record(service="EC2", region="eu-west-1", cost=3.0),
            record(service="EC2", region="us-east-1", cost=4.0),
            record(service="RDS", region="eu-west-1", cost=5.0),
        ],
    )


@pytest.mark.parametrize(
    ("filters", "costs"),
    [
        ({}, [1.0, 2.0, 3.0, 4.0, 5.0]),
        ({"service": "EC2"}, [1.0, 3.0, 4.0]),
        ({"region": "eu-west-1"}, [3.0, 5.0]),
        ({"service": "EC2", "region": "us-east-1"}, [1.0, 4.0]),
        ({"service": "EC2", "region": "ap-southeast-1"}, []),
        ({"service": None, "region": None}, [1.0, 2.0, 3.0, 4.0, 5.0]),
    ],
)
async def test_list_filters(
    queries: Queries, conn, mixed, filters: dict[str, Any], costs: list[float]
) -> None:
    rows = await listed(queries, conn, **filters)

    assert [row["cost"] for row in rows] == costs
    by_id = {r.id: r for r in mixed}
    assert [BillingRecord(**row) for row in rows] == [by_id[row["id"]] for row in rows]


async def test_summarize_costs(queries: Queries, conn) -> None:
    await store_costs(queries, conn, "S3", [0.25])
    await store_costs(queries, conn, "EC2", [1.10, 2.20])

    summary = await queries.summarize_costs(conn)

    assert [(s.service, s.total_cost) for s in summary] == [("EC2", 3.3), ("S3", 0.25)]


# --- find_anomalies: the API's rule ---------------------------------------------------------------


def expected_anomalies(stored: Sequence[BillingRecord], threshold: float) -> list[tuple]:
    """The original rule, computed in Python: (id, z rounded to 3), |z| desc, then id."""
    by_service: dict[str, list[float]] = {}
    for r in stored:
        by_service.setdefault(r.service, []).append(r.cost)
    flagged = []
    for r in stored:
        costs = by_service[r.service]
        if len(costs) < 2 or len(set(costs)) == 1:
            continue
        z = (r.cost - statistics.fmean(costs)) / statistics.pstdev(costs)
        if abs(z) > threshold:
            flagged.append((abs(z), r.id, round(z, 3)))
    flagged.sort(key=lambda item: (-item[0], item[1]))
    return [(record_id, z) for _, record_id, z in flagged]


@pytest.fixture
async def scored(queries: Queries, conn) -> list[BillingRecord]:
    stored = []
    for service, costs in {
        "C": [5.0] * 19 + [0.0],  # z(0) = -4.359
        "A": [1.0] * 9 + [10.0],  # z(10) = 3
        "G": [0.0] * 6 + [1.0],  # z(1) = sqrt(6) = 2.449
        "Pair": [1.0, 3.0],  # z = -1, +1 exactly
        "B": [1.0, 2.0, 3.0, 10.0],  # z(10) = 1.697
        "Lonely": [1000.0],
        "Flat": [7.0, 7.0, 7.0],
    }.items():
        stored += await store_costs(queries, conn, service, costs)
    return stored


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.999, 1.0, 1.5, 2.0, 2.5, 4.0, 4.4, 100.0])
async def test_find_anomalies_follows_the_rule(
    queries: Queries, conn, scored, threshold: float
) -> None:
    found = await anomalies(queries, conn, threshold)

    assert [(a.id, a.z_score) for a in found] == expected_anomalies(scored, threshold)
    by_id = {r.id: r for r in scored}
    for a in found:
        stored = by_id[a.id]
        assert (a.service, a.cost, a.timestamp, a.region, a.account_id) == (
            stored.service,
            stored.cost,
            stored.timestamp,
            stored.region,
            stored.account_id,
        )


async def test_find_anomalies_hand_computed(queries: Queries, conn, scored) -> None:
    found = await anomalies(queries, conn, 1.5)

    assert [(a.service, a.cost, a.z_score) for a in found] == [
        ("C", 0.0, -4.359),
        ("A", 10.0, 3.0),
        ("G", 1.0, 2.449),
        ("B", 10.0, 1.697),
    ]


async def test_find_anomalies_threshold_is_strict(queries: Queries, conn) -> None:
    low, high = await store_costs(queries, conn, "Pair", [1.0, 3.0])

    assert await anomalies(queries, conn, 1.0) == []
    found = await anomalies(queries, conn, 0.999)
    assert [(a.id, a.z_score) for a in found] == [(low.id, -1.0), (high.id, 1.0)]


async def test_find_anomalies_sees_the_transactions_own_writes(queries: Queries, conn) -> None:
    await store_costs(queries, conn, "A", [1.0] * 9)
    assert await anomalies(queries, conn, 0) == []

    (spike,) = await store_costs(queries, conn, "A", [10.0])

    found = await anomalies(queries, conn, 2.0)
    assert [(a.id, a.z_score) for a in found] == [(spike.id, 3.0)]
