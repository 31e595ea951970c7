"""The causal detectors (migrations 0004-0005): numbers pinned on small hand-computed series."""

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday

# Five hourly EC2 records: the last one jumps.
#   hour 3 against [10, 12, 14]:      mean 12,   sd sqrt(8/3);  median 12, MAD 2
#   hour 4 against [10, 12, 14, 10]:  mean 11.5, sd sqrt(2.75); median 11, MAD 1
COSTS = [10, 12, 14, 10, 30]


def record(cost: float, at: datetime, service: str = "EC2", **extra) -> dict:
    return {
        "service": service,
        "cost": cost,
        "timestamp": at.isoformat(),
        "region": extra.get("region", "us-east-1"),
        "account_id": extra.get("account_id", "111"),
    }


def hourly(costs, service: str = "EC2", start: datetime = START) -> list[dict]:
    return [record(c, start + timedelta(hours=i), service) for i, c in enumerate(costs)]


def store(client, records: list[dict]) -> list[dict]:
    response = client.post("/api/v1/billing/batch", json={"records": records})
    assert response.status_code == 201, response.text
    return response.json()


def test_trailing_record_numbers(client):
    store(client, hourly(COSTS))
    response = client.get("/api/v1/billing/anomalies?method=trailing&granularity=record")
    assert response.status_code == 200
    [flag] = response.json()
    sd = math.sqrt(2.75)
    assert flag["id"] == 5
    assert flag["cost"] == 30
    assert flag["expected"] == pytest.approx(11.5)
    assert flag["z_score"] == round(18.5 / sd, 3) == 11.156
    # Money is rounded to 4 decimals.
    assert flag["lower_bound"] == round(11.5 - 3 * sd, 4)
    assert flag["upper_bound"] == round(11.5 + 3 * sd, 4)
    assert flag["impact"] == pytest.approx(18.5)
    assert flag["impact_pct"] == 160.9  # percent, 1 decimal
    assert flag["method"] == "trailing"
    assert flag["granularity"] == "record"
    assert flag["service"] == "EC2"


def test_trailing_hour_reads_the_stored_baseline_with_the_same_numbers(client):
    # Hour buckets need half the 7-day window (84 hours) behind them: COSTS' first four hours
    # 21 times (mean 11.5, sd sqrt(2.75) as in COSTS), then the jump.
    store(client, hourly(COSTS[:4] * 21 + [30]))
    hour = client.get("/api/v1/billing/anomalies?method=trailing&granularity=hour").json()
    assert [(a["z_score"], a["expected"], a["id"], a["region"]) for a in hour] == [
        (11.156, pytest.approx(11.5), None, None)
    ]
    assert hour[0]["bucket"].startswith("2024-01-04T12:00:00")
    assert hour[0]["baseline_count"] == 84


@pytest.fixture
def empty_db(db: psycopg.Connection) -> psycopg.Connection:
    """The rolled-back connection, on a billing table emptied inside its transaction."""
    db.execute("delete from sentinel_data.billing_record")
    return db


def test_scores_of_every_point(empty_db):
    db = empty_db
    db.execute(
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select 'EC2', cost, %s::timestamptz + (n - 1) * interval '1 hour', 'r', 'a'"
        " from unnest(%s::numeric[]) with ordinality as t (cost, n)",
        (START, COSTS),
    )
    rows = db.execute(
        "select method, baseline_count, expected, score from sentinel.detect("
        "%s, 'record', '{service}', '7 days', 3.0) order by bucket",
        ("trailing",),
    ).fetchall()
    assert [r[1] for r in rows] == [0, 1, 2, 3, 4]
    # Records need half the window's days behind them: ceil(0.5 * 7) = 4 earlier records.
    assert [r[3] is None for r in rows] == [True, True, True, True, False]
    assert rows[3][2] == pytest.approx(12)
    assert rows[4][3] == pytest.approx(18.5 / math.sqrt(2.75))
    robust = db.execute(
        "select expected, spread, score from sentinel.detect("
        "'robust', 'record', '{service}', '7 days', 3.5) order by bucket"
    ).fetchall()
    assert robust[3][:2] == pytest.approx((12, 2 * 1.4826))
    assert robust[3][2] is None
    assert robust[4] == pytest.approx((11, 1.4826, 19 / 1.4826))


def test_robust_numbers(client):
    store(client, hourly(COSTS))
    [flag] = client.get("/api/v1/billing/anomalies?method=robust&granularity=record").json()
    assert flag["expected"] == 11
    assert flag["z_score"] == round(19 / 1.4826, 3)
    assert flag["upper_bound"] == pytest.approx(11 + 3.5 * 1.4826)


def test_seasonal_numbers(empty_db):
    # Weekdays at 09:00: Mon 10, Tue 20, Wed 10, Thu 20, Fri 50 (all one comparable period).
    db = empty_db
    db.execute(
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select 'EC2', cost, %s::timestamptz + (n - 1) * interval '1 day', 'r', 'a'"
        " from unnest(%s::numeric[]) with ordinality as t (cost, n)",
        (START + timedelta(hours=9), [10, 20, 10, 20, 50]),
    )
    rows = db.execute(
        "select baseline_count, expected, spread, score, anomaly from sentinel.detect("
        "'seasonal', 'hour', '{service}', '28 days', 5.0) order by bucket"
    ).fetchall()
    # Ratio of each point to the mean of its 7 days before: Tue 20/10 = 2, Wed 10/15 = 2/3,
    # Thu 20/(40/3) = 1.5. Shape of Thu = median(2, 2/3) = 4/3; of Wed = 2; Tue has none.
    # Level of Thu = Wed's cost / Wed's shape = 10 / 2 = 5, so Thu expects 4/3 * 5 = 20/3.
    # Fri: shape median(2, 2/3, 1.5) = 1.5, level 20 / (4/3) = 15, expected 22.5.
    assert [r[1] for r in rows[:3]] == [None, None, None]
    assert rows[3][1] == pytest.approx(20 / 3)
    count, expected, spread, score, anomaly = rows[4]
    assert count == 3
    assert expected == pytest.approx(22.5)
    # Pooled spread: Thu's relative residual |20 / (20/3) - 1| = 2 is the week's only one:
    # 1.4826 * 2 * 22.5. The same-period spread (1.4826 * |20 - 20/3|) is smaller, and so is
    # the square-root spread of 0011: 1.4826 * (40/3) / sqrt(20/3) * sqrt(22.5), about 36.3.
    assert spread == pytest.approx(1.4826 * 2 * 22.5)
    assert score == pytest.approx(27.5 / (1.4826 * 45))
    assert anomaly is False


def diurnal(day: int, hour: int) -> float:
    """Two dollars an hour at night, five at 14:00, and a 3 percent wobble so the spread is real."""
    wobble = (1.03, 0.98, 1.0, 0.99, 1.02)[(day * 24 + hour) % 5]
    return round((2 + 3 * max(0.0, math.cos(math.pi * (hour - 14) / 12)) ** 2) * wobble, 4)


def test_seasonal_catches_a_surge_at_a_quiet_hour(client):
    # Three weeks of the same day shape; then 03:00 on the Monday costs 1.6x its usual.
    records = [
        record(diurnal(day, hour), START + timedelta(days=day, hours=hour))
        for day in range(21)
        for hour in range(24)
    ]
    surge = START + timedelta(days=21, hours=3)
    records += [
        record(diurnal(21, hour), START + timedelta(days=21, hours=hour)) for hour in range(3)
    ]
    records.append(record(round(1.6 * diurnal(21, 3), 4), surge))
    store(client, records)
    flags = client.get("/api/v1/billing/anomalies?method=seasonal&granularity=hour").json()
    assert [f["bucket"][:16] for f in flags] == ["2024-01-22T03:00"]
    [flag] = flags
    assert flag["expected"] == pytest.approx(diurnal(21, 3), rel=0.05)
    assert flag["method"] == "seasonal"
    # The trailing week's mean and stddev include the daily swing: the surge hides in it.
    trailing = client.get("/api/v1/billing/anomalies?method=trailing&granularity=hour").json()
    assert "2024-01-22T03:00" not in [f["bucket"][:16] for f in trailing]
    # Without a method the events endpoint uses the recommended detector (seasonal).
    [event] = client.get("/api/v1/billing/anomalies/events").json()
    assert (event["started_at"][:16], event["method"], event["ongoing"]) == (
        "2024-01-22T03:00",
        "seasonal",
        True,
    )


def test_seasonal_level_shift_alerts_once_then_adapts(client):
    # Three weeks of the day shape, then everything doubles for two days: one event at the
    # onset that ends within the day, once the last day's level has caught up.
    records = [
        record(
            diurnal(day, hour) * (2 if day >= 21 else 1), START + timedelta(days=day, hours=hour)
        )
        for day in range(23)
        for hour in range(24)
    ]
    store(client, records)
    [event] = client.get("/api/v1/billing/anomalies/events?method=seasonal").json()
    assert event["started_at"].startswith("2024-01-22T00:00")
    assert event["ongoing"] is False
    assert event["point_count"] <= 24


def test_seasonal_pooled_spreads_change_once_per_utc_day(empty_db):
    # Two services alike but for a tenfold 11:00 on day 21 in B. The pooled spreads of an hour
    # come from the 7 whole days before its day: the later hours of day 21 are judged alike in A
    # and B (the 11:00 wobble is the day's highest, so the level's median does not move either),
    # and the spike enters B's spreads from day 22 on.
    db = empty_db
    db.execute("select sentinel.refresh_baselines()")  # what earlier tests left stale
    spike = START + timedelta(days=21, hours=11)
    rows = [
        (service, round(diurnal(day, hour) * (10 if service == "B" and at == spike else 1), 4), at)
        for service in ("A", "B")
        for day in range(23)
        for hour in range(24)
        for at in [START + timedelta(days=day, hours=hour)]
    ]
    with db.cursor() as cur:
        cur.executemany(
            "insert into sentinel_data.billing_record"
            " (service, cost, \"timestamp\", region, account_id) values (%s, %s, %s, 'r', 'a')",
            rows,
        )
    db.execute("select sentinel.refresh_baselines()")
    verdicts = {
        (service, bucket): (expected, spread)
        for service, bucket, expected, spread in db.execute(
            "select service, bucket, expected, spread from sentinel.detect("
            "'seasonal', 'hour', '{service}', '28 days', 5.0) where bucket > %s",
            (spike,),
        )
    }
    same_day = [spike + timedelta(hours=h) for h in range(1, 13)]
    assert [verdicts["A", at] for at in same_day] == [verdicts["B", at] for at in same_day]
    next_day = START + timedelta(days=22, hours=1)
    assert verdicts["A", next_day][0] == verdicts["B", next_day][0]
    assert verdicts["A", next_day][1] < verdicts["B", next_day][1]


@pytest.mark.parametrize("role", [None, "sentinel_reader"])  # None: the owner
@pytest.mark.parametrize(
    ("granularity", "group_by"),
    [("hour", "{service}"), ("hour", "{service,region}"), ("day", "{service}")],
)
def test_seasonal_call_plans_as_one_inlined_query(empty_db, role, granularity, group_by):
    # The seasonal stages are SQL functions so that a call is planned as one query (a filter on
    # service reaches the scans, the planner sees the whole computation). A stage that cannot
    # be inlined (a set clause, plpgsql, no execute right for the reader) shows as a Function
    # Scan and is computed whole before anything else.
    db = empty_db
    if role:
        db.execute("select set_config('role', %s, true)", (role,))
    plan = "\n".join(
        row[0]
        for row in db.execute(
            "explain (costs off) select service, bucket, expected, spread"
            " from sentinel.detect('seasonal', %s, %s, '28 days', 5.0) where service = 'EC2'",
            (granularity, group_by),
        )
    )
    stage = r"detect|\w*_baselines?|seasonal_\w+|trailing_\w+|scoped_points|cost_points"
    stages = re.findall(rf"Function Scan on ({stage})", plan)
    assert stages == [], plan


def test_flat_series_still_alerts_on_a_jump(client):
    # stddev 0: the spread is floored at 1 percent of expected (and one cent).
    store(client, hourly([2, 2, 2, 2, 5]))
    [flag] = client.get("/api/v1/billing/anomalies?method=trailing&granularity=record").json()
    assert flag["z_score"] == 150.0  # (5 - 2) / 0.02


def test_group_by_and_day_granularity(client):
    records = []
    for day in range(5):
        at = START + timedelta(days=day)
        records.append(record(10 + (day % 2), at, region="us-east-1"))
        records.append(record(20 if day < 4 else 200, at, region="eu-west-1"))
    store(client, records)
    flags = client.get(
        "/api/v1/billing/anomalies?method=trailing&granularity=day&group_by=service,region"
    ).json()
    assert [(f["service"], f["region"], f["account_id"], f["cost"]) for f in flags] == [
        ("EC2", "eu-west-1", None, 200)
    ]
    # Summed over regions (210 against days of 30, 31, 30, 31): still flagged, one series.
    summed = client.get("/api/v1/billing/anomalies?method=trailing&granularity=day").json()
    assert [(f["region"], f["cost"], f["expected"]) for f in summed] == [(None, 210, 30.5)]


def test_min_impact_and_min_pct_are_combined_with_and(client):
    store(client, hourly(COSTS))
    url = "/api/v1/billing/anomalies?method=trailing&granularity=record"
    assert len(client.get(url + "&min_impact=18").json()) == 1
    assert client.get(url + "&min_impact=19").json() == []
    assert len(client.get(url + "&min_impact=18&min_pct=160").json()) == 1
    assert client.get(url + "&min_impact=18&min_pct=161").json() == []


def test_level_shift_is_one_event(client):
    costs = [10, 11] * 42 + [40] * 6  # 84 hours of history, then the shift
    store(client, hourly(costs))
    events = client.get("/api/v1/billing/anomalies/events?method=trailing&granularity=hour").json()
    assert len(events) == 1
    [event] = events
    assert event["started_at"].startswith("2024-01-04T12:00")
    assert event["service"] == "EC2"
    assert event["point_count"] >= 1
    assert event["total_impact"] > 29


def test_ongoing_event(client):
    store(client, hourly([10, 11] * 42 + [90]))
    [event] = client.get("/api/v1/billing/anomalies/events?method=robust").json()
    assert event["ongoing"] is True
    assert event["started_at"] == event["ended_at"]
    assert event["peak_cost"] == 90


def test_an_event_of_a_series_that_stopped_is_not_ongoing(client):
    # EC2's last hour is flagged, but S3 goes on for two more hours: EC2 simply stopped.
    store(client, hourly([10, 11] * 42 + [90]) + hourly([5] * 87, "S3"))
    events = client.get("/api/v1/billing/anomalies/events?method=robust").json()
    [event] = [e for e in events if e["service"] == "EC2"]
    assert event["peak_cost"] == 90
    assert event["ongoing"] is False


def test_ingest_returns_the_causal_verdict(client):
    stored = store(client, hourly(COSTS))
    assert [r["anomaly"] for r in stored] == [False, False, False, False, True]
    assert stored[0]["z_score"] is None
    assert stored[0]["expected"] is None
    assert stored[4]["z_score"] == 11.156
    assert stored[4]["expected"] == pytest.approx(11.5)
    single = client.post("/api/v1/billing/", json=record(11, START + timedelta(hours=5))).json()
    assert single["id"] == 6
    # Against [10, 12, 14, 10, 30]: mean 15.2.
    assert single["expected"] == pytest.approx(15.2)
    assert single["anomaly"] is False
    assert set(single) >= {"created_at", "is_anomaly", "region", "account_id"}


def test_ingest_verdict_equals_the_trailing_detector(client):
    costs = [5, 6, 5, 7, 5, 6, 40, 5, 6, 9, 5, 60]
    # Two services in two batches: the second judged against the first's records as well as
    # its own earlier ones.
    stored = store(client, hourly(costs[:7]) + hourly([3, 3, 4, 3, 3, 9], "S3"))
    later = START + timedelta(hours=7)
    stored += store(client, hourly(costs[7:], start=later) + hourly([3, 30, 3], "S3", later))
    assert sum(r["anomaly"] for r in stored) >= 3
    # The verdict at ingest judges both directions with no materiality floor.
    flagged = client.get(
        "/api/v1/billing/anomalies?method=trailing&granularity=record"
        "&direction=both&min_impact=0&min_daily_pct=0"
    ).json()
    assert sorted(f["id"] for f in flagged) == [r["id"] for r in stored if r["anomaly"]]
    by_id = {r["id"]: r for r in stored}
    for flag in flagged:
        assert by_id[flag["id"]]["z_score"] == flag["z_score"]


def test_original_rule_is_unchanged_without_new_parameters(client):
    store(client, hourly(COSTS))
    # Over all five records the jump scores z = 14.8 / sqrt(56.96) = 1.961: quiet at 2.0.
    assert client.get("/api/v1/billing/anomalies").json() == []
    body = client.get("/api/v1/billing/anomalies?threshold=1.9").json()
    assert body[0]["z_score"] == 1.961
    assert [sorted(a) for a in body] == [
        ["account_id", "cost", "id", "region", "service", "timestamp", "z_score"]
    ]
    assert body[0]["id"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("method=zscore", "method"),
        ("method=trailing&window=7x", "window"),
        ("window=0h", "window"),
        ("granularity=minute", "granularity"),
        ("group_by=project", "group_by"),
        ("group_by=service,tags", "group_by"),
        ("min_impact=-1", "min_impact"),
        ("min_pct=-5", "min_pct"),
    ],
)
def test_bad_detector_parameters_are_422_naming_the_parameter(client, query, field):
    for path in ("/api/v1/billing/anomalies", "/api/v1/billing/anomalies/events"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    costs=st.lists(
        st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False), min_size=2, max_size=40
    ),
    gaps=st.lists(st.integers(min_value=0, max_value=30), min_size=40, max_size=40),
    cut=st.integers(min_value=1, max_value=39),
    method=st.sampled_from(["trailing", "robust", "seasonal"]),
    granularity=st.sampled_from(["record", "hour"]),
)
def test_appending_later_data_never_changes_an_earlier_verdict(
    empty_db: psycopg.Connection, costs, gaps, cut, method, granularity
):
    cut = min(cut, len(costs) - 1)
    times, at = [], START
    for gap in gaps[: len(costs)]:
        at += timedelta(hours=gap)  # 0 = several records in the same hour
        times.append(at)
    insert = (
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select 'EC2', cost, at, 'r', 'a'"
        " from unnest(%s::numeric[], %s::timestamptz[]) as t (cost, at)"
    )
    verdicts = (
        "select bucket, record_id, score, anomaly from sentinel.detect("
        "%s, %s, '{service}', '2 days', 2.0) order by bucket, record_id"
    )
    # Later data: the rest of the series, every point strictly after the last earlier one.
    last = times[cut - 1]
    later = [last + timedelta(hours=1) + (t - times[cut]) for t in times[cut:]]
    with empty_db.transaction(force_rollback=True):
        empty_db.execute(insert, (costs[:cut], times[:cut]))
        before = empty_db.execute(verdicts, (method, granularity)).fetchall()
        empty_db.execute(insert, (costs[cut:], later))
        after = empty_db.execute(verdicts, (method, granularity)).fetchall()
    assert [v for v in after if v[0] <= last] == before


def test_stored_seasonal_baseline_equals_the_full_computation(empty_db):
    # The default seasonal call reads the baselines the triggers store; grouping by service and
    # region (one region per service here: the same series) takes the full computation. Bulk
    # loads, one-hour appends, late records, an update and a delete must leave them equal.
    db = empty_db
    insert = (
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select 'svc-' || s, round(((1 + s) * (1.3 + cos(pi() * (h %% 24) / 12))"
        " * (1 + 0.05 * sin(h * 12.9898 + s))"
        " * (case when (h * 7 + s * 13) %% 211 = 0 then 4 else 1 end))::numeric, 4),"
        " %(start)s::timestamptz + h * interval '1 hour', 'r', 'a'"
        " from generate_series(%(first)s::int, %(last)s::int) as h"
        " cross join generate_series(0, 1) as s"
    )
    db.execute(insert, {"start": START, "first": 0, "last": 599})
    for hour in range(600, 640):
        db.execute(insert, {"start": START, "first": hour, "last": hour})
    db.execute(insert, {"start": START, "first": 300, "last": 302})  # late: doubles three hours
    db.execute(insert, {"start": START, "first": 640, "last": 959})
    db.execute(
        "update sentinel_data.billing_record set cost = cost * 3"
        " where service = 'svc-1' and \"timestamp\" = %s",
        (START + timedelta(hours=700),),
    )
    db.execute(
        'delete from sentinel_data.billing_record where "timestamp" = %s',
        (START + timedelta(hours=500),),
    )
    verdicts = (
        "select service, bucket, baseline_count, expected, spread, score, anomaly"
        " from sentinel.detect('seasonal', 'hour', %s, '28 days', 5.0) order by service, bucket"
    )
    full = db.execute(verdicts, (["service", "region"],)).fetchall()
    # Before a refresh both services are stale: the default call computes them in full.
    assert db.execute("select count(*) from sentinel.stale_baselines").fetchone() == (2,)
    assert db.execute(verdicts, (["service"],)).fetchall() == full
    # The deferred refresh, as the API runs it, of everything the changes above moved.
    assert db.execute("select sentinel.refresh_baselines()").fetchone() == (2,)
    assert db.execute("select count(*) from sentinel.stale_baselines").fetchone() == (0,)
    stored = db.execute(verdicts, (["service"],)).fetchall()
    assert len(stored) == 2 * 959
    assert any(row[-1] for row in stored)
    assert stored == full


def test_stored_baselines_refreshed_batch_by_batch_equal_the_full_computation(empty_db):
    # A refresh after every change (readers polling during ingest): the refresh takes its
    # one-hour path for appends and its window pass for batches and late records.
    db = empty_db
    db.execute("select sentinel.refresh_baselines()")
    insert = (
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select 'EC2', round((2 + cos(pi() * (h %% 24) / 12)"
        " * (1 + 0.1 * sin(h * 7.31)))::numeric, 4) * (case when h %% 97 = 0 then 5 else 1 end),"
        " %(start)s::timestamptz + h * interval '1 hour', 'r', 'a'"
        " from generate_series(%(first)s::int, %(last)s::int) as h"
    )
    for first, last in [(0, 699), *((h, h) for h in range(700, 730)), (400, 400), (730, 800)]:
        db.execute(insert, {"start": START, "first": first, "last": last})
        assert db.execute("select sentinel.refresh_baselines()").fetchone() == (1,)
    verdicts = (
        "select bucket, baseline_count, expected, spread, score, anomaly from sentinel.detect("
        "%s, 'hour', %s, %s, 5.0) order by bucket"
    )
    for method, window in [("seasonal", "28 days"), ("trailing", "7 days")]:
        stored = db.execute(verdicts, (method, ["service"], window)).fetchall()
        full = db.execute(verdicts, (method, ["service", "region"], window)).fetchall()
        assert len(stored) == 801
        assert stored == full, method


def stored_baselines(db: psycopg.Connection) -> list[tuple]:
    return db.execute(
        "select hour, baseline_count, baseline_mean, seasonal_count, seasonal_expected,"
        " seasonal_spread from sentinel.service_hourly_costs order by service, hour"
    ).fetchall()


def test_inserts_mark_the_range_and_leave_the_stored_baselines_until_a_refresh(empty_db):
    db = empty_db
    db.execute("select sentinel.refresh_baselines()")  # what earlier tests left stale
    insert = (
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select %s, 1 + h %% 5, %s::timestamptz + h * interval '1 hour', 'r', 'a'"
        " from unnest(%s::int[]) as h"
    )
    db.execute(insert, ("EC2", START, list(range(0, 40))))
    db.execute(insert, ("S3", START, [5, 6]))
    stale = "select service, first_hour, last_hour from sentinel.stale_baselines order by service"
    assert db.execute(stale).fetchall() == [
        ("EC2", START, START + timedelta(hours=39)),
        ("S3", START + timedelta(hours=5), START + timedelta(hours=6)),
    ]
    # The insert path wrote no baseline: every stored column still has its default.
    assert {row[1:] for row in stored_baselines(db)} == {(0, None, 0, None, None)}

    assert db.execute("select sentinel.refresh_baselines()").fetchone() == (2,)
    assert db.execute(stale).fetchall() == []
    refreshed = stored_baselines(db)
    assert refreshed[3][1:3] == (3, 2.0)  # EC2 hour 3 against costs 1, 2, 3

    # A late record and a delete merge into one range per service; nothing moves until a refresh.
    db.execute(insert, ("EC2", START, [20]))
    db.execute(
        'delete from sentinel_data.billing_record where service = %s and "timestamp" = %s',
        ("EC2", START + timedelta(hours=10)),
    )
    db.execute(insert, ("EC2", START, [12]))
    assert db.execute(stale).fetchall() == [
        ("EC2", START + timedelta(hours=10), START + timedelta(hours=20))
    ]
    # Hour 10's rollup row went with its only record; every other row keeps its stored values.
    assert stored_baselines(db) == [
        row for row in refreshed if row[0] != START + timedelta(hours=10)
    ]
    assert db.execute("select sentinel.refresh_baselines()").fetchone() == (1,)
    assert db.execute("select sentinel.refresh_baselines()").fetchone() == (0,)
    assert stored_baselines(db) != refreshed


def test_truncate_empties_the_stale_ranges(db):
    with db.transaction(force_rollback=True):
        db.execute(
            'insert into sentinel_data.billing_record (service, cost, "timestamp", region,'
            " account_id) values ('EC2', 1, %s, 'r', 'a')",
            (START,),
        )
        db.execute("truncate sentinel_data.billing_record")
        assert db.execute("select count(*) from sentinel.stale_baselines").fetchone() == (0,)


def test_the_api_answers_as_the_full_computation_right_after_an_insert(client, database_url):
    # Three weeks of the day shape, then a surge; no explicit refresh anywhere: the handlers
    # refresh before they read, and their answers equal the full computation's.
    records = [
        record(diurnal(day, hour), START + timedelta(days=day, hours=hour))
        for day in range(22)
        for hour in range(24)
    ]
    records[21 * 24 + 3]["cost"] = round(1.6 * diurnal(21, 3), 4)
    store(client, records)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("select count(*) from sentinel.stale_baselines").fetchone() == (1,)
    full = (
        "select bucket, round(score::numeric, 3)::double precision,"
        " round(expected::numeric, 4)::double precision from sentinel.detect("
        "%s, 'hour', '{service,region}', %s, %s) where anomaly order by bucket"
    )
    for method, window, threshold in [("seasonal", "28 days", 5.0), ("trailing", "7 days", 3.0)]:
        flags = client.get(f"/api/v1/billing/anomalies?method={method}&granularity=hour").json()
        with psycopg.connect(database_url) as conn:
            assert conn.execute("select count(*) from sentinel.stale_baselines").fetchone() == (0,)
            expected = conn.execute(full, (method, window, threshold)).fetchall()
        got = sorted(
            (datetime.fromisoformat(f["bucket"]), f["z_score"], f["expected"]) for f in flags
        )
        assert got == expected, method
        if method == "seasonal":
            assert [g[0] for g in got] == [START + timedelta(days=21, hours=3)]
    # A late record makes the service stale again; the events endpoint refreshes first too.
    store(client, [record(50.0, START + timedelta(days=21, hours=10))])
    [*events] = client.get("/api/v1/billing/anomalies/events").json()
    with psycopg.connect(database_url) as conn:
        assert conn.execute("select count(*) from sentinel.stale_baselines").fetchone() == (0,)
        full_events = conn.execute(
            "select started_at, point_count from sentinel.anomaly_events("
            "'seasonal', 'hour', '{service,region}', '28 days', 5.0) order by started_at desc"
        ).fetchall()
    assert [(datetime.fromisoformat(e["started_at"]), e["point_count"]) for e in events] == (
        full_events
    )
    assert len(events) == 2


def test_the_reader_role_can_refresh_the_stored_baselines(empty_db):
    db = empty_db
    db.execute(
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select 'EC2', 1 + h %% 3, %s::timestamptz + h * interval '1 hour', 'r', 'a'"
        " from generate_series(0, 9) as h",
        (START,),
    )
    with db.transaction(force_rollback=True):
        db.execute("set local role sentinel_reader")
        stale = db.execute("select service from sentinel.stale_baselines").fetchall()
        assert ("EC2",) in stale
        assert db.execute("select sentinel.refresh_baselines()").fetchone() == (len(stale),)
        assert db.execute("select count(*) from sentinel.stale_baselines").fetchone() == (0,)
        assert db.execute(
            "select baseline_count from sentinel.service_hourly_costs"
            " where service = 'EC2' order by hour desc limit 1"
        ).fetchone() == (9,)
    with db.transaction(force_rollback=True):
        db.execute("set local role sentinel_reader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("delete from sentinel_data.baseline_dirty")


def test_bad_detector_parameters_never_disturb_the_connection_pool(settings):
    # The parameters are checked before a connection is taken: a failure while a connection is
    # being handed out used to cancel the pool's request half-way (a small pool shows it).
    from litestar.testing import TestClient

    from sentinel.app import create_app

    app = create_app(settings.model_copy(update={"pool_max_size": 3}))
    with TestClient(app) as client:
        for _ in range(10):
            assert client.get("/api/v1/billing/anomalies?method=zscore").status_code == 422
            assert client.get("/api/v1/billing/anomalies/events?window=7x").status_code == 422
        assert app.state.pool.get_stats().get("requests_errors", 0) == 0
        assert client.get("/api/v1/billing/anomalies?method=trailing").status_code == 200


def test_a_refresh_skips_what_another_session_holds_and_never_waits(client, database_url):
    # A session in the middle of a refresh (or of an insert) holds its services' stale rows: a
    # second refresh skips them instead of waiting, and the detectors compute them in full.
    insert = (
        'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
        " select %s, 1 + h %% 7, %s::timestamptz + h * interval '1 hour', 'r', 'a'"
        " from generate_series(0, 99) as h"
    )
    verdicts = (
        "select bucket, expected, spread, score from sentinel.detect("
        "'seasonal', 'hour', %s, '28 days', 5.0) order by service, bucket"
    )
    with (
        psycopg.connect(database_url, autocommit=True) as reader,
        psycopg.connect(database_url) as holder,
    ):
        reader.execute("set lock_timeout = '5s'")
        reader.execute(insert, ("EC2", START))
        assert holder.execute("select sentinel.refresh_baselines()").fetchone() == (1,)
        holder.execute(insert, ("S3", START))  # uncommitted: invisible to the reader
        assert reader.execute("select sentinel.refresh_baselines()").fetchone() == (0,)
        assert (
            reader.execute(verdicts, (["service"],)).fetchall()
            == reader.execute(verdicts, (["service", "region"],)).fetchall()
        )
        holder.commit()
        assert reader.execute("select sentinel.refresh_baselines()").fetchone() == (1,)
        assert reader.execute("select count(*) from sentinel.stale_baselines").fetchone() == (0,)
        reader.execute("truncate sentinel_data.billing_record restart identity")


def test_the_server_refreshes_stale_baselines_in_the_background(settings, database_url):
    import time

    import psycopg
    from litestar.testing import TestClient

    from sentinel.app import create_app

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate sentinel_data.billing_record restart identity")
    app = create_app(settings.model_copy(update={"baseline_refresh_seconds": 0.05}))
    records = [
        {
            "service": "EC2",
            "cost": 1 + (hour % 5) / 10,
            "timestamp": f"2026-01-{1 + hour // 24:02d}T{hour % 24:02d}:00:00Z",
            "region": "us-east-1",
            "account_id": "1",
        }
        for hour in range(72)
    ]
    with TestClient(app) as client, psycopg.connect(database_url, autocommit=True) as conn:
        stale = "select count(*) from sentinel.stale_baselines"
        client.post(
            "/api/v1/billing/batch", json={"records": records}, headers={"Prefer": "return=minimal"}
        )
        deadline = time.monotonic() + 20
        while conn.execute(stale).fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert conn.execute(stale).fetchone()[0] == 0
        stored = conn.execute(
            "select count(*) from sentinel_data.service_hourly_cost where baseline_count > 0"
        ).fetchone()[0]
        assert stored == 71  # every hour but the first has earlier hours in its week


def test_the_hourly_rollups_and_so_the_detectors_judge_usage_only(db):
    db.execute("delete from sentinel_data.billing_record")
    db.execute(
        """
        insert into sentinel_data.billing_record
            (service, cost, "timestamp", region, account_id, charge_type)
        values
            ('EC2', 2.50, '2026-01-01 10:15+00', 'us-east-1', '1', 'usage'),
            ('EC2', 1.25, '2026-01-01 10:45+00', 'us-east-1', '1', 'usage'),
            ('EC2', 900, '2026-01-01 10:00+00', 'us-east-1', '1', 'fee'),
            ('EC2', -40, '2026-01-01 10:00+00', 'us-east-1', '1', 'credit')
        """
    )

    def hourly() -> list[tuple]:
        return db.execute(
            "select cost, record_count from sentinel_data.service_hourly_cost"
        ).fetchall()

    assert hourly() == [(Decimal("3.75"), 2)]
    db.execute("update sentinel_data.billing_record set charge_type = 'usage' where cost = -40")
    assert hourly() == [(Decimal("-36.25"), 3)]
    db.execute("update sentinel_data.billing_record set charge_type = 'tax' where cost = 2.50")
    assert hourly() == [(Decimal("-38.75"), 2)]
    db.execute("delete from sentinel_data.billing_record where charge_type = 'fee'")
    assert hourly() == [(Decimal("-38.75"), 2)]


def test_single_records_and_the_ingest_verdict_judge_usage_only(client, database_url):
    # An imported fee and a credit among EC2's hours: as usage they would be a spike and a
    # collapse; they are not usage, so no detector sees them (migration 0012).
    store(client, hourly(COSTS[:4]))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """
            insert into sentinel_data.billing_record
                (service, cost, "timestamp", region, account_id, charge_type)
            values
                ('EC2', 900, '2024-01-01 02:30+00', 'us-east-1', '111', 'fee'),
                ('EC2', -300, '2024-01-01 03:30+00', 'us-east-1', '111', 'credit')
            """
        )
    [last] = store(client, [record(30, START + timedelta(hours=4))])
    # Against the usage hours [10, 12, 14, 10] only: mean 11.5, as in test_trailing_record_numbers.
    assert last["expected"] == pytest.approx(11.5)
    assert last["z_score"] == 11.156
    flagged = client.get("/api/v1/billing/anomalies?method=trailing&granularity=record").json()
    assert [(f["id"], f["cost"]) for f in flagged] == [(last["id"], 30)]


def test_detector_defaults_have_one_home_that_the_api_lists_and_uses(client) -> None:
    listed = client.get("/api/v1/billing/detectors")
    assert listed.status_code == 200
    by_name = {row["detector"]: row for row in listed.json()}
    assert by_name["seasonal"] == {
        "detector": "seasonal",
        "window": "28d",
        "threshold": 5.0,
        "min_history": 3,
        "history_share": None,
        "direction": "up",
        "min_impact": 0.05,
        "min_daily_pct": 1.5,
        "recommended": True,
    }
    assert (by_name["trailing"]["window"], by_name["trailing"]["threshold"]) == ("7d", 3.0)
    assert by_name["zscore"]["window"] is None
    # A detector call without window or threshold uses them: the same flags as spelled out.
    implicit = client.get("/api/v1/billing/anomalies", params={"method": "trailing"}).json()
    explicit = client.get(
        "/api/v1/billing/anomalies", params={"method": "trailing", "window": "7d", "threshold": 3}
    ).json()
    assert implicit == explicit
    # The README's table says the same.
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name, row in by_name.items():
        window = row["window"] or "(all records)"
        assert f"| `{name}` | {window} | {row['threshold']:.1f} | {row['min_history']} |" in readme


def steady_week(service: str = "EC2", cost: float = 10.0, hours: int = 24 * 8) -> list[dict]:
    """A week and a day of hourly costs alternating cost and cost + 1 (a real, small spread)."""
    return hourly([cost + (h % 2) for h in range(hours)], service)


def test_a_detector_flags_increases_unless_asked_for_both(client):
    # One hour jumps, a later one drops as far: only the jump is flagged by default.
    costs = [10 + (h % 2) for h in range(24 * 10)]
    costs[24 * 8] = 40  # Tuesday 9 January, after three weekdays (seasonal's history)
    costs[24 * 9] = 0
    store(client, hourly(costs))
    for method in ("trailing", "robust", "seasonal"):
        url = f"/api/v1/billing/anomalies?method={method}&granularity=hour"
        flagged = {f["bucket"][:13] for f in client.get(url).json()}
        both = {f["bucket"][:13] for f in client.get(url + "&direction=both").json()}
        assert "2024-01-09T00" in flagged, method
        assert "2024-01-10T00" not in flagged, method
        assert "2024-01-10T00" in both, method


def test_no_flag_before_a_method_has_the_history_it_needs(client):
    # Hours 0-83 are less than half the trailing week: a tenfold hour at 40 stays unflagged,
    # the same hour at 90 is flagged; every point reports its baseline_count.
    costs = [10 + (h % 2) for h in range(24 * 5)]
    costs[40] = costs[90] = 110
    store(client, hourly(costs))
    for method in ("trailing", "robust"):
        url = f"/api/v1/billing/anomalies?method={method}&granularity=hour&direction=both"
        flags = client.get(url).json()
        assert [f["bucket"][:13] for f in flags] == ["2024-01-04T18"], method
        assert flags[0]["baseline_count"] == 90
    listed = {row["detector"]: row for row in client.get("/api/v1/billing/detectors").json()}
    assert listed["trailing"]["history_share"] == 0.5


def test_flags_must_be_material_in_dollars_and_against_the_daily_spend(client):
    # A cent-sized service jumps fiftyfold; a $100/hour one gains $20 (0.8 percent of its
    # $2,400 day) in one hour on a steady series: neither is worth an alert by default.
    cents = [0.001 + 0.0001 * (h % 2) for h in range(24 * 8)]
    cents[24 * 7] = 0.05
    big = [100 + 0.1 * (h % 2) for h in range(24 * 8)]
    big[24 * 7] = 120
    store(client, hourly(cents, "Tiny") + hourly(big, "Big"))
    url = "/api/v1/billing/anomalies?method=trailing&granularity=hour"
    assert client.get(url).json() == []
    flags = client.get(url + "&min_impact=0&min_daily_pct=0").json()
    assert sorted(f["service"] for f in flags) == ["Big", "Tiny"]
    big_flag = next(f for f in flags if f["service"] == "Big")
    assert big_flag["daily_spend"] == pytest.approx(24 * 100.05, abs=0.01)
    # Each floor alone: the dollar floor keeps Big, the daily share keeps Tiny.
    assert [f["service"] for f in client.get(url + "&min_daily_pct=0").json()] == ["Big"]
    assert [f["service"] for f in client.get(url + "&min_impact=0").json()] == ["Tiny"]


def test_bounds_of_usage_stop_at_zero_and_money_is_rounded(client):
    costs = [0.3 if h % 2 else 0.0001 for h in range(24 * 8)]
    costs[-1] = 9.123456789
    store(client, hourly(costs))
    [flag] = client.get("/api/v1/billing/anomalies?method=trailing&granularity=hour").json()
    assert flag["lower_bound"] == 0
    for field in ("expected", "upper_bound", "impact", "daily_spend"):
        assert flag[field] == round(flag[field], 4), field
    assert flag["impact_pct"] == round(flag["impact_pct"], 1)
    [event] = client.get("/api/v1/billing/anomalies/events?method=trailing&granularity=hour").json()
    assert event["total_impact"] == round(event["total_impact"], 4)


def test_daily_services_are_listed_and_judged_by_the_day(client, database_url):
    # Azure sends one record a day at midnight; EC2 sends hours. sentinel.daily_services names
    # Azure; granularity=day judges it (the README's rule for daily data).
    days = 40
    azure = [
        record(100 + (day % 3), START + timedelta(days=day), "Azure VMs") for day in range(days)
    ]
    azure[-1]["cost"] = 180  # the last day costs 80 percent more
    ec2 = hourly([10 + (h % 2) for h in range(24 * days)])
    store(client, azure + ec2)
    with psycopg.connect(database_url) as conn:
        daily = conn.execute("select service from sentinel.daily_services").fetchall()
    assert daily == [("Azure VMs",)]
    day = client.get("/api/v1/billing/anomalies?method=seasonal&granularity=day").json()
    [flag] = [f for f in day if f["service"] == "Azure VMs"]
    assert (flag["granularity"], flag["bucket"][:10]) == ("day", "2024-02-09")
    # One record within a day makes the service hourly again.
    store(client, [record(4, START + timedelta(days=3, hours=5), "Azure VMs")])
    with psycopg.connect(database_url) as conn:
        assert conn.execute("select count(*) from sentinel.daily_services").fetchone() == (0,)
