"""The REST contract of DESIGN.md, end to end through Litestar's test client and PostgreSQL."""

import json
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

BASE = "/api/v1/billing"
PROBLEM = "application/problem+json"
LEAKS = ("psycopg", "SQL", "sentinel_data", "Traceback", 'File "')
# A stored record as the contract defines it; responses may carry more fields, never fewer.
RECORD_FIELDS = (
    "id",
    "service",
    "cost",
    "timestamp",
    "region",
    "account_id",
    "is_anomaly",
    "created_at",
)
ANOMALY_FIELDS = ("id", "service", "cost", "timestamp", "region", "account_id", "z_score")


def record(**changes: Any) -> dict[str, Any]:
    """A valid request body; `field=...` removes the field."""
    body: dict[str, Any] = {
        "service": "EC2",
        "cost": 1.25,
        "timestamp": "2024-03-01T12:00:00Z",
        "region": "us-east-1",
        "account_id": "123456789012",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def store(client, *records: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(f"{BASE}/batch", json={"records": list(records)})
    assert response.status_code == 201, response.text
    return response.json()


def store_costs(client, service: str, costs: Sequence[float]) -> list[dict[str, Any]]:
    return store(client, *(record(service=service, cost=cost) for cost in costs))


def contract(row: dict[str, Any], fields: Sequence[str] = RECORD_FIELDS) -> dict[str, Any]:
    """The contract's fields of a response row (all of them must be there)."""
    assert set(fields) <= set(row), (fields, row)
    return {field: row[field] for field in fields}


def stored_records(client) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    return [contract(row) for row in response.json()]


def assert_problem(response, status: int, *names: str) -> dict[str, Any]:
    """An RFC 9457 body with the status, whose detail names every one of `names`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    for name in names:
        assert name in body["detail"], (name, body["detail"])
    assert_no_leak(response)
    return body


def assert_no_leak(response) -> None:
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text)


def z_scores(costs: Sequence[float]) -> list[float]:
    mean, sd = statistics.fmean(costs), statistics.pstdev(costs)
    return [(cost - mean) / sd for cost in costs]


# --- health -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_health(client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "sentinel"}


# --- POST one record ----------------------------------------------------------------------------


def test_post_one_record_returns_it_as_stored(client) -> None:
    before = datetime.now(UTC)
    response = client.post(f"{BASE}/", json=record(is_anomaly=True))
    after = datetime.now(UTC)

    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(RECORD_FIELDS) <= set(body)
    assert body["id"] == 1
    assert body["service"] == "EC2"
    assert body["cost"] == 1.25
    assert datetime.fromisoformat(body["timestamp"]) == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert body["region"] == "us-east-1"
    assert body["account_id"] == "123456789012"
    assert body["is_anomaly"] is True
    created_at = datetime.fromisoformat(body["created_at"])
    assert before - timedelta(seconds=5) <= created_at <= after + timedelta(seconds=5)
    assert stored_records(client) == [contract(body)]


def test_is_anomaly_defaults_to_false(client) -> None:
    response = client.post(f"{BASE}/", json=record())

    assert response.status_code == 201
    assert response.json()["is_anomaly"] is False


def test_naive_timestamp_is_stored_and_returned_as_utc(client) -> None:
    body = client.post(f"{BASE}/", json=record(timestamp="2024-03-01T12:00:00")).json()

    returned = datetime.fromisoformat(body["timestamp"])
    assert returned.utcoffset() == timedelta(0)
    assert returned == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_timestamp_with_offset_is_returned_in_utc(client) -> None:
    body = client.post(f"{BASE}/", json=record(timestamp="2024-03-01T14:00:00+02:00")).json()

    returned = datetime.fromisoformat(body["timestamp"])
    assert returned.utcoffset() == timedelta(0)
    assert returned == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_cost_keeps_its_decimals(client) -> None:
    body = client.post(f"{BASE}/", json=record(cost=0.1234567)).json()

    assert body["cost"] == 0.1234567
    assert client.get(f"{BASE}/{body['id']}").json()["cost"] == 0.1234567


def test_text_is_trimmed_and_the_longest_allowed_values_are_stored(client) -> None:
    body = client.post(
        f"{BASE}/",
        json=record(service="  " + "s" * 128 + " ", region="r" * 64, account_id="a" * 64),
    ).json()

    assert (body["service"], body["region"], body["account_id"]) == ("s" * 128, "r" * 64, "a" * 64)


def test_unknown_fields_are_ignored(client) -> None:
    response = client.post(f"{BASE}/", json=record(currency="USD"))

    assert response.status_code == 201
    assert "currency" not in response.json()


# --- POST batch -------------------------------------------------------------------------------


def test_batch_returns_records_in_input_order_with_ascending_ids(client) -> None:
    services = ["S3", "EC2", "RDS", "Lambda", "EC2"]
    costs = [5.5, 1.0, 3.25, 0.5, 2.0]
    response = client.post(
        f"{BASE}/batch",
        json={"records": [record(service=s, cost=c) for s, c in zip(services, costs, strict=True)]},
    )

    assert response.status_code == 201
    body = response.json()
    assert [r["service"] for r in body] == services
    assert [r["cost"] for r in body] == costs
    assert [r["id"] for r in body] == [1, 2, 3, 4, 5]
    assert stored_records(client) == [contract(row) for row in body]


def test_batch_of_one(client) -> None:
    body = store(client, record(service="Lambda", cost=0.0))

    assert [(r["id"], r["service"], r["cost"]) for r in body] == [(1, "Lambda", 0.0)]


def test_batch_with_one_bad_record_stores_nothing(client) -> None:
    records = [record(), record(service="S3"), record(cost="abc"), record()]
    response = client.post(f"{BASE}/batch", json={"records": records})

    assert_problem(response, 422, "records[2].cost")
    assert stored_records(client) == []


def test_batch_names_every_bad_record(client) -> None:
    records = [record(region=""), record(), record(timestamp="soon"), record(service=...)]
    response = client.post(f"{BASE}/batch", json={"records": records})

    assert_problem(response, 422, "records[0].region", "records[2].timestamp", "records[3].service")
    assert stored_records(client) == []


def test_empty_batch_is_refused(client) -> None:
    response = client.post(f"{BASE}/batch", json={"records": []})

    assert_problem(response, 422, "records")
    assert stored_records(client) == []


def test_batch_without_records_key_is_refused(client) -> None:
    assert_problem(client.post(f"{BASE}/batch", json={"items": [record()]}), 422, "records")


def test_batch_that_is_a_bare_array_is_refused(client) -> None:
    assert_problem(client.post(f"{BASE}/batch", json=[record()]), 422, "body")
    assert stored_records(client) == []


# --- seed -------------------------------------------------------------------------------------


def test_seed_two_days(client) -> None:
    response = client.post(f"{BASE}/seed?days=2")

    assert response.status_code == 201
    body = response.json()
    assert body["records_created"] == 6 * 24 * 2
    assert isinstance(body["message"], str)
    assert body["message"]
    records = stored_records(client)
    assert len(records) == 6 * 24 * 2
    assert 3 <= sum(r["is_anomaly"] for r in records) <= 5
    assert {r["service"] for r in records} == {
        "EC2",
        "S3",
        "RDS",
        "Lambda",
        "CloudFront",
        "DynamoDB",
    }
    newest = max(datetime.fromisoformat(r["timestamp"]) for r in records)
    assert datetime.now(UTC) - newest < timedelta(hours=1, minutes=1)


def test_seed_defaults_to_thirty_days(client) -> None:
    response = client.post(f"{BASE}/seed")

    assert response.status_code == 201
    assert response.json()["records_created"] == 6 * 24 * 30
    assert len(stored_records(client)) == 6 * 24 * 30


@pytest.mark.parametrize("days", ["1", "365"])
def test_seed_bounds_are_inclusive(client, days: str) -> None:
    response = client.post(f"{BASE}/seed", params={"days": days})

    assert response.status_code == 201
    assert response.json()["records_created"] == 6 * 24 * int(days)


@pytest.mark.parametrize("days", ["0", "366", "-1", "abc", "1.5", ""])
def test_seed_refuses_days_out_of_range(client, days: str) -> None:
    assert_problem(client.post(f"{BASE}/seed", params={"days": days}), 422, "days")
    assert stored_records(client) == []


# --- GET list -----------------------------------------------------------------------------------


@pytest.fixture
def mixed(client) -> list[dict[str, Any]]:
    return store(
        client,
        record(service="EC2", region="us-east-1", cost=1.0),
        record(service="S3", region="us-east-1", cost=2.0),
        record(service="EC2", region="eu-west-1", cost=3.0),
        record(service="EC2", region="us-east-1", cost=4.0),
        record(service="RDS", region="eu-west-1", cost=5.0),
    )


def test_list_empty(client) -> None:
    assert stored_records(client) == []


def test_list_all_in_id_order(client, mixed) -> None:
    assert stored_records(client) == [contract(row) for row in mixed]


@pytest.mark.parametrize(
    ("params", "costs"),
    [
        ({"service": "EC2"}, [1.0, 3.0, 4.0]),
        ({"region": "eu-west-1"}, [3.0, 5.0]),
        ({"service": "EC2", "region": "us-east-1"}, [1.0, 4.0]),
        ({"service": "EC2", "region": "ap-southeast-1"}, []),
        ({"service": "Nope"}, []),
        ({"service": "ec2"}, []),  # names are exact, as stored
    ],
)
def test_list_filters(client, mixed, params: dict[str, str], costs: list[float]) -> None:
    response = client.get(f"{BASE}/", params=params)

    assert response.status_code == 200
    assert [r["cost"] for r in response.json()] == costs
    for r in response.json():
        assert all(r[key] == value for key, value in params.items())


# --- GET summary --------------------------------------------------------------------------------


def test_summary_empty(client) -> None:
    response = client.get(f"{BASE}/summary")

    assert response.status_code == 200
    assert response.json() == []


def test_summary_totals(client) -> None:
    store(
        client,
        record(service="EC2", cost=1.10),
        record(service="S3", cost=0.25),
        record(service="EC2", cost=2.20),
        record(service="RDS", cost=-0.5),
        record(service="RDS", cost=0.5),
    )

    response = client.get(f"{BASE}/summary")

    assert response.status_code == 200
    totals = {row["service"]: row["total_cost"] for row in response.json()}
    assert totals == {
        "EC2": pytest.approx(3.3),
        "S3": pytest.approx(0.25),
        "RDS": pytest.approx(0.0),
    }
    # Money is summed exactly (numeric): 1.1 + 2.2 in floats would be 3.3000000000000003.
    assert totals["EC2"] == 3.3
    assert len(response.json()) == 3


# --- GET by id ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/"])
def test_get_by_id(client, mixed, suffix: str) -> None:
    response = client.get(f"{BASE}/{mixed[2]['id']}{suffix}")

    assert response.status_code == 200
    assert contract(response.json()) == contract(mixed[2])


@pytest.mark.parametrize(
    "record_id", ["6", "0", "-1", "99999999999999999999", "9223372036854775808"]
)
def test_get_unknown_id_is_404(client, mixed, record_id: str) -> None:
    body = assert_problem(client.get(f"{BASE}/{record_id}"), 404)

    assert body["detail"] == "Billing Record not found"


@pytest.mark.parametrize("record_id", ["abc", "1.5", "1e3", "0x10"])
def test_get_non_integer_id_is_422(client, record_id: str) -> None:
    assert_problem(client.get(f"{BASE}/{record_id}"), 422, "id")


# --- GET anomalies ------------------------------------------------------------------------------


def anomalies(client, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/anomalies", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_anomalies_hand_computed(client) -> None:
    costs = [1, 1, 1, 1, 1, 1, 1, 1, 1, 10]
    stored = store_costs(client, "A", costs)
    expected_z = z_scores(costs)[-1]
    assert expected_z == pytest.approx(3.0)  # mean 1.9, sigma 2.7

    found = anomalies(client, threshold=2.0)

    assert len(found) == 1
    spike = stored[-1]
    assert contract(found[0], ANOMALY_FIELDS) == {
        "id": spike["id"],
        "service": "A",
        "cost": 10.0,
        "timestamp": spike["timestamp"],
        "region": spike["region"],
        "account_id": spike["account_id"],
        "z_score": round(expected_z, 3),
    }


def test_z_score_is_rounded_to_three_decimals(client) -> None:
    costs = [1, 2, 3, 10]  # mean 4, sigma sqrt(12.5): z(10) = 1.6970562...
    store_costs(client, "B", costs)

    found = anomalies(client, threshold=1.5)

    assert [a["cost"] for a in found] == [10.0]
    assert found[0]["z_score"] == round(z_scores(costs)[-1], 3) == 1.697


def test_negative_z_scores_are_flagged_by_absolute_value(client) -> None:
    costs = [10] * 9 + [1]  # mirror image of the example: z(1) = -3
    store_costs(client, "C", costs)

    found = anomalies(client, threshold=2.5)

    assert [(a["cost"], a["z_score"]) for a in found] == [(1.0, round(z_scores(costs)[-1], 3))]
    assert found[0]["z_score"] == -3.0


def test_threshold_is_strict(client) -> None:
    # mean 2, sigma 1: z = -1 and +1 exactly, in floating point too.
    store_costs(client, "A", [1, 3])

    assert anomalies(client, threshold=1) == []
    assert anomalies(client, threshold=1.0) == []
    flagged = anomalies(client, threshold=0.999)
    assert sorted(a["z_score"] for a in flagged) == [-1.0, 1.0]
    assert [a["id"] for a in flagged] == [1, 2]  # equal |z|: by id


def test_single_record_or_zero_spread_is_never_flagged(client) -> None:
    store_costs(client, "Lonely", [1000.0])
    store_costs(client, "Flat", [7.0, 7.0, 7.0])
    store_costs(client, "FlatDecimals", [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    store_costs(client, "Moving", [1, 3])

    found = anomalies(client, threshold=0)

    assert {a["service"] for a in found} == {"Moving"}


def test_statistics_are_per_service(client) -> None:
    # 10 would be a wild outlier among A's ones, but B's costs are all near 10.
    store_costs(client, "A", [1, 1, 1, 1, 1, 1, 1, 1, 1, 10])
    store_costs(client, "B", [9, 10, 11, 10, 9, 10, 11, 10])

    found = anomalies(client, threshold=2.0)

    assert [(a["service"], a["cost"]) for a in found] == [("A", 10.0)]


@pytest.fixture
def spread(client) -> dict[str, list[float]]:
    """Services whose outliers score 4.359, 3.0, 2.449 and 1.732 (hand-computed)."""
    data = {
        "C": [5.0] * 19 + [0.0],  # z(0) = -4.75 / sqrt(1.1875)
        "A": [1.0] * 9 + [10.0],  # z(10) = 3
        "G": [0.0] * 6 + [1.0],  # one outlier among n: z = sqrt(n - 1) = sqrt(6)
        "H": [0.0] * 3 + [1.0],  # sqrt(3)
    }
    for service, costs in data.items():
        store_costs(client, service, costs)
    return data


def test_anomalies_are_sorted_by_absolute_z_descending(client, spread) -> None:
    found = anomalies(client, threshold=0.3)

    magnitudes = [abs(a["z_score"]) for a in found]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert [(a["service"], a["cost"]) for a in found[:4]] == [
        ("C", 0.0),
        ("A", 10.0),
        ("G", 1.0),
        ("H", 1.0),
    ]
    expected = sorted(
        (
            round(z, 3)
            for costs in spread.values()
            for z in z_scores(costs)
            if abs(z) > 0.3  # C's fives score 0.229, G's zeros 0.408, H's 0.577, A's ones 0.333
        ),
        key=abs,
        reverse=True,
    )
    assert [a["z_score"] for a in found] == expected
    assert expected[:4] == [-4.359, 3.0, 2.449, 1.732]


def test_default_threshold_is_two(client, spread) -> None:
    default = anomalies(client)

    assert [(a["service"], a["z_score"]) for a in default] == [
        ("C", -4.359),
        ("A", 3.0),
        ("G", 2.449),
    ]
    assert anomalies(client, threshold=2.0) == default
    assert [a["service"] for a in anomalies(client, threshold=1.5)] == ["C", "A", "G", "H"]


def test_threshold_zero_flags_every_scored_record(client, spread) -> None:
    found = anomalies(client, threshold=0)

    assert len(found) == sum(len(costs) for costs in spread.values())


def test_high_threshold_flags_nothing(client, spread) -> None:
    assert anomalies(client, threshold=4.36) == []
    assert [a["service"] for a in anomalies(client, threshold=4.35)] == ["C"]


def test_is_anomaly_label_does_not_change_detection(client) -> None:
    store(client, *(record(service="A", cost=c, is_anomaly=c == 1) for c in [1, 3]))
    store(client, record(service="B", cost=5, is_anomaly=True))

    assert {a["cost"] for a in anomalies(client, threshold=0.5)} == {1.0, 3.0}
    assert [r["is_anomaly"] for r in stored_records(client)] == [True, False, True]


@pytest.mark.parametrize("threshold", ["-1", "-0.001", "abc", "nan", "NaN", ""])
def test_bad_threshold_is_refused(client, threshold: str) -> None:
    assert_problem(
        client.get(f"{BASE}/anomalies", params={"threshold": threshold}), 422, "threshold"
    )


def test_anomalies_empty_table(client) -> None:
    assert anomalies(client) == []


# --- paths with and without the trailing slash --------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", BASE, 200),
        ("GET", f"{BASE}/summary", 200),
        ("GET", f"{BASE}/anomalies", 200),
        ("GET", f"{BASE}/1", 200),
        ("POST", BASE, 201),
        ("POST", f"{BASE}/batch", 201),
        ("POST", f"{BASE}/seed", 201),
    ],
)
def test_trailing_slash_is_optional(
    client, method: str, path: str, status: int, slash: str
) -> None:
    store(client, record())
    kwargs: dict[str, Any] = {}
    if path == BASE and method == "POST":
        kwargs["json"] = record()
    elif path.endswith("/batch"):
        kwargs["json"] = {"records": [record()]}
    elif path.endswith("/seed"):
        kwargs["params"] = {"days": 1}

    response = client.request(method, path + slash, **kwargs)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")


# --- bad input ----------------------------------------------------------------------------------

BAD_RECORDS = [
    pytest.param(record(service=123), "service", id="service-int"),
    pytest.param(record(service=None), "service", id="service-null"),
    pytest.param(record(cost="abc"), "cost", id="cost-str"),
    pytest.param(record(cost=None), "cost", id="cost-null"),
    pytest.param(record(cost=[1]), "cost", id="cost-list"),
    pytest.param(record(is_anomaly=[1]), "is_anomaly", id="is_anomaly-list"),
    pytest.param(record(is_anomaly="maybe"), "is_anomaly", id="is_anomaly-str"),
    pytest.param(record(region={"name": "x"}), "region", id="region-object"),
    pytest.param(record(account_id=12.5), "account_id", id="account_id-float"),
    *(
        pytest.param(record(**{field: ...}), field, id=f"missing-{field}")
        for field in ("service", "cost", "timestamp", "region", "account_id")
    ),
    *(
        pytest.param(record(cost=value), "cost", id=f"cost-{value}")
        for value in ("NaN", "nan", "Infinity", "-Infinity", "inf")
    ),
    *(
        pytest.param(record(**{field: value}), field, id=f"{field}-{label}")
        for field in ("service", "region", "account_id")
        for value, label in (("", "empty"), ("   ", "spaces"), ("\t\n", "tab"), ("a\x00b", "nul"))
    ),
    pytest.param(record(service="s" * 129), "service", id="service-long"),
    pytest.param(record(region="r" * 65), "region", id="region-long"),
    pytest.param(record(account_id="a" * 65), "account_id", id="account_id-long"),
    *(
        pytest.param(record(timestamp=value), "timestamp", id=f"timestamp-{label}")
        for value, label in (
            ("yesterday", "word"),
            ("2024-13-01T00:00:00", "month-13"),
            ("2024-02-30T00:00:00", "feb-30"),
            ("", "empty"),
            (None, "null"),
            ([2024, 1, 1], "list"),
        )
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD_RECORDS)
def test_bad_record_is_refused_naming_the_field(client, body: dict[str, Any], field: str) -> None:
    assert_problem(client.post(f"{BASE}/", json=body), 422, field)
    assert stored_records(client) == []


@pytest.mark.parametrize(("body", "field"), BAD_RECORDS)
def test_bad_record_in_a_batch_is_refused_naming_its_index(
    client, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"{BASE}/batch", json={"records": [record(), record(), body]})

    assert_problem(response, 422, f"records[2].{field}")
    assert stored_records(client) == []


def test_problem_lists_every_field(client) -> None:
    body = assert_problem(
        client.post(f"{BASE}/", json={"cost": "abc", "timestamp": "x"}),
        422,
        "service",
        "cost",
        "timestamp",
        "region",
        "account_id",
    )
    assert {error["field"] for error in body["errors"]} == {
        "service",
        "cost",
        "timestamp",
        "region",
        "account_id",
    }


def post_raw(client, path: str, content: bytes):
    return client.post(path, content=content, headers={"content-type": "application/json"})


@pytest.mark.parametrize("path", [f"{BASE}/", f"{BASE}/batch"])
@pytest.mark.parametrize(
    "content",
    [b"{bad", b'{"service": "EC2",', b"{'service': 'EC2'}", b"\xff\xfe"],
    ids=["brace", "truncated", "single-quotes", "not-utf8"],
)
def test_malformed_json_is_400(client, path: str, content: bytes) -> None:
    assert_problem(post_raw(client, path, content), 400, "body", "JSON")
    assert stored_records(client) == []


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_literal_is_400(client, literal: str) -> None:
    content = json.dumps(record(cost=0.5)).replace("0.5", literal).encode()
    assert literal in content.decode()

    assert_problem(post_raw(client, f"{BASE}/", content), 400, "JSON")
    batch = json.dumps({"records": [record(cost=0.5)]}).replace("0.5", literal).encode()
    assert_problem(post_raw(client, f"{BASE}/batch", batch), 400, "JSON")
    assert stored_records(client) == []


def test_out_of_range_number_is_400(client) -> None:
    content = json.dumps(record(cost=0.5)).replace("0.5", "1e400").encode()

    assert_problem(post_raw(client, f"{BASE}/", content), 400, "body", "JSON")
    assert stored_records(client) == []


@pytest.mark.parametrize("path", [f"{BASE}/", f"{BASE}/batch"])
@pytest.mark.parametrize("content", [b"[]", b"[{}]", b"null", b"42", b'"text"', b"true"])
def test_body_that_is_not_an_object_is_422(client, path: str, content: bytes) -> None:
    assert_problem(post_raw(client, path, content), 422, "body")


@pytest.mark.parametrize("path", [f"{BASE}/", f"{BASE}/batch"])
def test_single_record_body_that_is_an_array_is_422(client, path: str) -> None:
    assert_problem(client.post(path, json=[record()]), 422, "body")
    assert stored_records(client) == []


@pytest.mark.parametrize("path", [f"{BASE}/", f"{BASE}/batch"])
def test_empty_body_is_422(client, path: str) -> None:
    body = assert_problem(post_raw(client, path, b""), 422, "body")
    assert "data" not in body["detail"]  # Litestar's parameter name is not the client's concern


def test_unknown_route_is_a_problem_404(client) -> None:
    assert_problem(client.get("/api/v1/nothing"), 404)


def test_wrong_method_is_a_problem_405(client) -> None:
    assert_problem(client.put(f"{BASE}/", json={}), 405)


def test_successful_responses_leak_nothing(client) -> None:
    store_costs(client, "A", [1, 3])
    for path in (f"{BASE}/", f"{BASE}/summary", f"{BASE}/anomalies?threshold=0", f"{BASE}/1"):
        response = client.get(path)
        assert response.status_code == 200
        assert_no_leak(response)


def test_openapi_docs_describe_every_path(client) -> None:
    response = client.get("/docs/openapi.json")

    assert response.status_code == 200
    paths = set(response.json()["paths"])
    for path in (
        "/api/v1/billing",
        "/api/v1/billing/batch",
        "/api/v1/billing/seed",
        "/api/v1/billing/summary",
        "/api/v1/billing/anomalies",
        "/api/v1/billing/{id}",
        "/health",
    ):
        assert path in paths or path + "/" in paths, (path, paths)


def _record(i: int) -> dict:
    return {
        "service": f"svc{i % 3}",
        "cost": round(1 + i / 7, 4),
        "timestamp": f"2026-01-01T{i % 24:02d}:00:00Z",
        "region": "us-east-1",
        "account_id": "123",
    }


def test_batch_return_minimal_stores_everything_and_echoes_nothing(client):
    records = [_record(i) for i in range(50)]
    r = client.post(
        "/api/v1/billing/batch", json={"records": records}, headers={"Prefer": "return=minimal"}
    )
    assert r.status_code == 201
    assert r.content == b""
    assert r.headers["preference-applied"] == "return=minimal"
    assert r.headers["x-records-created"] == "50"
    stored = client.get("/api/v1/billing/").json()
    assert [(s["service"], s["cost"]) for s in stored] == [
        (x["service"], x["cost"]) for x in records
    ]
    assert [s["id"] for s in stored] == list(range(1, 51))


def test_batch_return_minimal_with_one_bad_record_stores_nothing(client):
    records = [_record(i) for i in range(5)]
    records[3]["cost"] = "NaN"
    r = client.post(
        "/api/v1/billing/batch", json={"records": records}, headers={"Prefer": "return=minimal"}
    )
    assert r.status_code == 422
    assert "records[3].cost" in r.json()["detail"]
    assert client.get("/api/v1/billing/").json() == []


def test_batch_without_prefer_still_echoes(client):
    r = client.post(
        "/api/v1/billing/batch",
        json={"records": [_record(0)]},
        headers={"Prefer": "return=representation"},
    )
    assert r.status_code == 201
    assert r.json()[0]["service"] == "svc0"
    assert "preference-applied" not in r.headers


def test_offsets_beyond_postgresqls_range_are_converted_to_utc(client):
    body = _record(0) | {"timestamp": "2026-01-01T22:45:00+19:22"}
    r = client.post("/api/v1/billing/", json=body)
    assert r.status_code == 201
    assert r.json()["timestamp"] == "2026-01-01T03:23:00Z"


def test_a_timestamp_before_year_one_in_utc_is_a_422(client):
    body = _record(0) | {"timestamp": "0001-01-01T00:00:00+01:00"}
    r = client.post("/api/v1/billing/", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "timestamp"


@pytest.mark.parametrize("cost", [1e12 + 1, -1e13, 1e300])
def test_costs_beyond_a_trillion_are_refused(client, cost):
    r = client.post("/api/v1/billing/", json=_record(0) | {"cost": cost})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cost"


def test_method_not_allowed_names_the_allowed_methods(client):
    r = client.request("TRACE", "/health")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "GET" in r.headers["allow"]


def test_a_batch_of_100k_records_is_accepted_and_one_more_is_refused(client):
    records = [_record(i) for i in range(100_000)]
    body = json.dumps({"records": records}).encode()
    r = client.post(
        "/api/v1/billing/batch",
        content=body,
        headers={"content-type": "application/json", "prefer": "return=minimal"},
    )
    assert r.status_code == 201
    assert r.headers["x-records-created"] == "100000"
    [(service, total)] = [
        (s["service"], s["total_cost"])
        for s in client.get("/api/v1/billing/summary").json()
        if s["service"] == "svc0"
    ]
    assert total == pytest.approx(sum(x["cost"] for x in records if x["service"] == service))

    too_many = client.post("/api/v1/billing/batch", json={"records": [*records, _record(0)]})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "records"


def test_list_times_follow_the_timestamp_rules(client):
    client.post("/api/v1/billing/", json=_record(10))  # 2026-01-01T10:00:00Z
    # +19:22 is beyond PostgreSQL's offsets; converted to UTC these are 09:38Z and 10:38Z.
    listed = client.get("/api/v1/billing/", params={"start": "2026-01-02T05:00:00+19:22"})
    assert [r["timestamp"] for r in listed.json()] == ["2026-01-01T10:00:00Z"]
    listed = client.get("/api/v1/billing/", params={"start": "2026-01-02T06:00:00+19:22"})
    assert [r["timestamp"] for r in listed.json()] == []
    listed = client.get("/api/v1/billing/", params={"start": "2026-01-01T04:00:00-05:00"})
    assert [r["timestamp"] for r in listed.json()] == ["2026-01-01T10:00:00Z"]
    r = client.get("/api/v1/billing/", params={"end": "0001-01-01T00:00:00+01:00"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "end"


@pytest.mark.parametrize(
    "query", ["threshold=0.5", "method=trailing&granularity=record&direction=both&threshold=1.5"]
)
def test_anomalies_stream_the_bytes_their_models_would_give(client, query: str) -> None:
    from pydantic import TypeAdapter

    from sentinel.schemas import Anomaly, DetectedAnomaly

    client.post("/api/v1/billing/seed?days=10")
    response = client.get(f"/api/v1/billing/anomalies?{query}")
    assert response.status_code == 200
    assert "content-length" not in response.headers  # streamed from the cursor
    rows = response.json()
    assert len(rows) > 10
    model = Anomaly if query.startswith("threshold") else DetectedAnomaly
    # The rows are written as the SQL returns them, with no model on the way out: the body is
    # what serialising the response models would give, byte for byte.
    adapter = TypeAdapter(list[model])
    assert response.content == adapter.dump_json(adapter.validate_python(rows))


def test_streamed_bodies_hold_the_values_a_text_query_reads(client, database_url: str) -> None:
    """The streamed lists read their rows in binary: the bodies must be what the same rows read
    as text (psycopg's default) give, down to microseconds, large costs and odd zones."""
    import msgspec
    import psycopg
    from psycopg.rows import dict_row

    from sentinel.db import load_queries, resource_dir

    odd = [
        {**_record(i), "cost": cost, "timestamp": stamp}
        for i, (cost, stamp) in enumerate(
            [
                (0.1 + 0.2, "2026-01-01T00:00:00.000001Z"),
                (123456789.123456, "2026-01-01T01:30:00.5+05:30"),
                (1e-9, "1999-12-31T23:59:59.999999-11:00"),
                (0.0, "2026-01-01T02:00:00Z"),
                (98765.4321, "2026-01-01T03:00:00Z"),
            ]
        )
    ]
    filler = [{**_record(i % 24), "cost": 1.0 + (i % 7) / 10} for i in range(60)]
    assert client.post("/api/v1/billing/batch", json={"records": odd + filler}).status_code == 201
    sql = load_queries(resource_dir("sql") / "queries")
    calls = [
        (
            "/api/v1/billing/",
            "list_billing_records",
            {
                "service": None,
                "region": None,
                "account_id": None,
                "start": None,
                "end": None,
                "after_id": None,
                "limit": None,
            },
        ),
        ("/api/v1/billing/anomalies?threshold=0.5", "find_anomalies", {"threshold": 0.5}),
    ]
    # A session zone other than the server's UTC: text values carry the offset they were read in.
    with psycopg.connect(database_url, options="-c TimeZone=Asia/Kolkata") as conn:
        for path, name, params in calls:
            rows = conn.cursor(row_factory=dict_row).execute(sql[name], params).fetchall()
            assert len(rows) > 5, path
            body = client.get(path).content
            as_text = msgspec.json.encode(
                [
                    {
                        **row,
                        **{k: v.astimezone(UTC) for k, v in row.items() if isinstance(v, datetime)},
                    }
                    for row in rows
                ]
            )
            assert body == as_text, path
