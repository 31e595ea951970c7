"""GET /costs and /series: the spend a chart draws, and one series as a detector judges it."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.test_detection import record, store

START = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday


def wavy(hours: int, service: str = "EC2", base: float = 10.0, **extra) -> list[dict]:
    """An hourly series with a daily rhythm and a little deterministic noise."""
    return [
        record(
            round(base * (1 + 0.3 * math.sin(2 * math.pi * h / 24)) + 0.1 * ((h * 7) % 5), 4),
            START + timedelta(hours=h),
            service,
            **extra,
        )
        for h in range(hours)
    ]


def test_costs_sum_usage_per_series_and_day(client):
    store(client, wavy(48, account_id="111") + wavy(48, account_id="222", base=1.0))
    store(client, wavy(24, "S3", base=2.0))
    response = client.get("/api/v1/billing/costs")
    assert response.status_code == 200, response.text
    points = response.json()
    by_key = {(p["service"], p["bucket"]): p for p in points}
    ec2_day1 = [r["cost"] for r in wavy(24, account_id="111") + wavy(24, account_id="222", base=1)]
    first = by_key[("EC2", "2024-03-04T00:00:00Z")]
    assert first["cost"] == pytest.approx(round(sum(ec2_day1), 4))
    assert first["record_count"] == 48
    assert first["account_id"] is None
    assert first["region"] is None
    # Default range: the 30 days up to the newest stored usage; S3 has only its first day.
    assert sorted(by_key) == [
        ("EC2", "2024-03-04T00:00:00Z"),
        ("EC2", "2024-03-05T00:00:00Z"),
        ("S3", "2024-03-04T00:00:00Z"),
    ]


def test_costs_by_account_by_hour_and_filtered(client):
    store(client, wavy(48, account_id="111") + wavy(48, account_id="222", base=1.0))
    store(client, wavy(24, "S3", base=2.0))
    query = (
        "/api/v1/billing/costs?granularity=hour&group_by=account_id&group_by=service"
        "&service=EC2&start=2024-03-05T00:00:00Z&end=2024-03-05T02:00:00"
    )
    points = client.get(query).json()
    assert [(p["bucket"], p["account_id"]) for p in points] == [
        ("2024-03-05T00:00:00Z", "111"),
        ("2024-03-05T00:00:00Z", "222"),
        ("2024-03-05T01:00:00Z", "111"),
        ("2024-03-05T01:00:00Z", "222"),
    ]
    assert points[0]["cost"] == wavy(48, account_id="111")[24]["cost"]
    assert {p["service"] for p in points} == {"EC2"}


def test_costs_on_an_empty_database_is_an_empty_list(client):
    response = client.get("/api/v1/billing/costs")
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=team", "group_by"),
        ("granularity=minute", "granularity"),
        ("start=2024-03-05T00:00:00Z&end=2024-03-04T00:00:00Z", "end"),
        ("start=yesterday", "start"),
        ("service=" + "x" * 300, "service"),
    ],
)
def test_costs_refuses_bad_parameters_by_name(client, query, field):
    response = client.get(f"/api/v1/billing/costs?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text


def test_costs_refuses_an_answer_beyond_its_bound(client, monkeypatch):
    monkeypatch.setattr("sentinel.routes.spend.COSTS_MAX_ROWS", 3)
    store(client, wavy(5))
    response = client.get("/api/v1/billing/costs?granularity=hour")
    assert response.status_code == 422
    assert "start" in response.text
    assert "more than 3 points" in response.text
    assert len(client.get("/api/v1/billing/costs").json()) == 1  # one day: within the bound


def _spiked(days: int = 21) -> list[dict]:
    records = wavy(24 * days)
    records[-3]["cost"] = records[-3]["cost"] * 6  # a spike three hours before the end
    return records


def test_series_returns_every_bucket_with_the_verdicts_of_the_detector(client):
    records = _spiked()
    store(client, records)
    response = client.get("/api/v1/billing/series?service=EC2")
    assert response.status_code == 200, response.text
    points = response.json()
    # The default range of an hourly series: the 7 days up to its newest hour, every hour.
    assert len(points) == 7 * 24
    assert points[-1]["bucket"] == records[-1]["timestamp"].replace("+00:00", "Z")
    assert [p["cost"] for p in points] == [r["cost"] for r in records[-7 * 24 :]]
    assert {p["method"] for p in points} == {"seasonal"}
    assert all(p["lower_bound"] <= p["expected"] <= p["upper_bound"] for p in points)
    flagged = {p["bucket"] for p in points if p["anomaly"]}
    anomalies = client.get("/api/v1/billing/anomalies?method=seasonal").json()
    assert flagged == {a["bucket"] for a in anomalies}
    assert records[-3]["timestamp"].replace("+00:00", "Z") in flagged
    [spike] = [p for p in points if p["bucket"] == anomalies[0]["bucket"]]
    assert spike["z_score"] == anomalies[0]["z_score"]
    assert spike["upper_bound"] == anomalies[0]["upper_bound"]


def test_series_before_history_has_no_score(client):
    store(client, wavy(30))
    points = client.get("/api/v1/billing/series?service=EC2&method=trailing").json()
    assert len(points) == 30
    assert points[0]["expected"] is None
    assert points[0]["z_score"] is None
    assert not any(p["anomaly"] for p in points)  # 30 hours: less than half of 7 days


def test_series_of_daily_data_is_judged_by_the_day(client):
    days = [record(100.0 + d % 3, START + timedelta(days=d), "Config") for d in range(40)]
    store(client, days)
    points = client.get("/api/v1/billing/series?service=Config").json()
    assert {p["granularity"] for p in points} == {"day"}
    assert len(points) == 30  # the default range of a daily series: 30 days
    hourly = client.get("/api/v1/billing/series?service=Config&granularity=hour").json()
    assert {p["granularity"] for p in hourly} == {"hour"}


def test_series_split_by_account_and_narrowed_to_one(client):
    store(client, wavy(48, account_id="111") + wavy(48, account_id="222", base=1.0))
    split = client.get("/api/v1/billing/series?service=EC2&group_by=account_id").json()
    assert {p["account_id"] for p in split} == {"111", "222"}
    assert len(split) == 96
    one = client.get("/api/v1/billing/series?service=EC2&group_by=account_id&account_id=222")
    assert [p["cost"] for p in one.json()] == [r["cost"] for r in wavy(48, base=1.0)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "service"),
        ("service=EC2&granularity=record", "granularity"),
        ("service=EC2&method=magic", "method"),
        ("service=EC2&group_by=team", "group_by"),
        ("service=EC2&start=2024-03-05T00:00:00Z&end=2024-03-05T00:00:00Z", "end"),
        ("service=%00", "service"),
    ],
)
def test_series_refuses_bad_parameters_by_name(client, query, field):
    response = client.get(f"/api/v1/billing/series?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text


def test_series_of_an_unknown_service_is_empty(client):
    store(client, wavy(5))
    assert client.get("/api/v1/billing/series?service=Nope").json() == []
