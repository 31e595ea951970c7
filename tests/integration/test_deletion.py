"""Deleting an import, deleting records by service and time range, and seed's refusal."""

from collections.abc import Iterator

import pytest

from .access_helpers import CUR_PARQUET, FOCUS_CSV, OCTETS, problem_of, scalar, truncate_all

BASE = "/api/v1/billing"
COUNT = "select count(*) from sentinel_data.billing_record"
# The rollups the triggers keep must agree with the records left.
TOTALS_AGREE = """
    select coalesce((select sum(record_count) from sentinel_data.service_totals), 0)
        = (select count(*) from sentinel_data.billing_record)
    and coalesce((select sum(cost) from sentinel_data.hourly_cost), 0)
        = coalesce((select sum(cost) from sentinel_data.billing_record), 0)
"""


@pytest.fixture
def empty(database_url: str) -> Iterator[str]:
    truncate_all(database_url)
    yield database_url
    truncate_all(database_url)


def upload(client, path, name: str) -> dict:
    response = client.post(
        f"{BASE}/import", params={"filename": name}, content=path.read_bytes(), headers=OCTETS
    )
    assert response.status_code == 201, response.text
    return response.json()


def record(service: str, timestamp: str, cost: float = 1.0) -> dict:
    return {
        "service": service,
        "cost": cost,
        "timestamp": timestamp,
        "region": "r",
        "account_id": "a",
    }


def test_delete_an_import_and_its_rows(app_client, empty: str) -> None:
    kept = app_client.post(f"{BASE}/", json=record("Mine", "2024-03-01T00:00:00Z", 7))
    assert kept.status_code == 201
    first = upload(app_client, CUR_PARQUET, "oct.parquet")
    again = upload(app_client, CUR_PARQUET, "oct-again.parquet")
    assert again["status"] == "unchanged"
    other = upload(app_client, FOCUS_CSV, "focus.csv")
    assert scalar(empty, COUNT) == 1 + 300 + other["row_count"]

    response = app_client.delete(f"{BASE}/imports/{first['id']}")
    assert response.status_code == 200, response.text
    # The import, its no-op re-import of the same bytes, and its 300 rows.
    assert response.json() == {"imports_deleted": 2, "records_deleted": 300}
    assert scalar(empty, COUNT) == 1 + other["row_count"]
    history = app_client.get(f"{BASE}/imports").json()
    assert [item["id"] for item in history] == [other["id"]]
    assert scalar(empty, TOTALS_AGREE) is True
    summary = {
        row["service"]: row["total_cost"] for row in app_client.get(f"{BASE}/summary").json()
    }
    assert summary["Mine"] == 7

    # The same file can be imported afresh (it is not "unchanged" of a deleted import).
    assert upload(app_client, CUR_PARQUET, "oct.parquet")["status"] == "imported"


@pytest.mark.parametrize("import_id", ["999999", "9223372036854775808", "-1", "9" * 5000])
def test_deleting_an_unknown_import_is_404(app_client, empty: str, import_id: str) -> None:
    body = problem_of(app_client.delete(f"{BASE}/imports/{import_id}"), 404)
    assert body["errors"][0]["field"] == "id"


def test_deleting_an_import_by_a_non_integer_is_422(app_client, empty: str) -> None:
    assert problem_of(app_client.delete(f"{BASE}/imports/abc"), 422)["errors"][0]["field"] == "id"


def test_delete_records_by_service_and_time_range(app_client, empty: str) -> None:
    rows = [
        record("A", "2024-03-01T00:00:00Z"),
        record("A", "2024-03-01T01:00:00Z"),
        record("A", "2024-03-01T02:00:00Z"),  # the end: exclusive
        record("A", "2024-02-29T23:59:59Z"),  # before the start
        record("B", "2024-03-01T01:00:00Z"),  # another service
    ]
    assert app_client.post(f"{BASE}/batch", json={"records": rows}).status_code == 201
    response = app_client.delete(
        f"{BASE}/",
        params={"service": "A", "start": "2024-03-01T00:00:00Z", "end": "2024-03-01T02:00:00Z"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"records_deleted": 2}
    left = sorted((r["service"], r["timestamp"]) for r in app_client.get(f"{BASE}/").json())
    assert left == [
        ("A", "2024-02-29T23:59:59Z"),
        ("A", "2024-03-01T02:00:00Z"),
        ("B", "2024-03-01T01:00:00Z"),
    ]
    assert scalar(empty, TOTALS_AGREE) is True
    # Nothing in range: 0, not an error. A zone-less time is UTC, as everywhere.
    again = app_client.delete(
        f"{BASE}",
        params={"service": "A", "start": "2024-03-01T00:00:00", "end": "2024-03-01T02:00:00"},
    )
    assert again.json() == {"records_deleted": 0}


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"service", "start", "end"}),
        ({"service": "A"}, {"start", "end"}),
        ({"service": "A", "start": "2024-03-01T00:00:00Z"}, {"end"}),
        ({"service": "A", "start": "2024-03-02T00:00:00Z", "end": "2024-03-01T00:00:00Z"}, {"end"}),
        ({"service": "A", "start": "2024-03-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}, {"end"}),
        ({"service": "A", "start": "yesterday", "end": "2024-03-01T00:00:00Z"}, {"start"}),
    ],
)
def test_delete_records_needs_a_service_and_both_bounds(
    app_client, empty: str, params: dict, fields: set[str]
) -> None:
    assert app_client.post(f"{BASE}/", json=record("A", "2024-03-01T12:00:00Z")).status_code == 201
    body = problem_of(app_client.delete(f"{BASE}/", params=params), 422)
    assert {error["field"] for error in body["errors"]} == fields
    assert scalar(empty, COUNT) == 1


def test_seed_refused_on_imported_data_unless_forced(app_client, empty: str) -> None:
    upload(app_client, CUR_PARQUET, "oct.parquet")
    body = problem_of(app_client.post(f"{BASE}/seed?days=1"), 409)
    assert body["errors"][0]["field"] == "force"
    assert "force=true" in body["detail"]
    assert scalar(empty, COUNT) == 300
    forced = app_client.post(f"{BASE}/seed", params={"days": 1, "force": "true"})
    assert forced.status_code == 201
    assert scalar(empty, COUNT) == 300 + 144
