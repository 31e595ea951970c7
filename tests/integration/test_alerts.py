"""Monitors raise alerts: one per run of flagged buckets, causal, incremental and idempotent."""

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from random import Random

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.types.json import Jsonb

from sentinel.app import create_app
from sentinel.seed import generate_records
from tests.integration.access_helpers import bearer, make_key, problem_of, truncate_all
from tests.integration.alert_data import (
    ACCOUNTS,
    HISTORY,
    alerts,
    evaluate,
    events,
    extra,
    hour,
    regular_history,
    regular_records,
    reset,
    store,
    store_tagged,
)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with regular_history(database_url) as conn:
        yield conn


def test_the_default_monitor_exists_after_migration(conn):
    row = conn.execute(
        "select name, method, direction, group_by, enabled from sentinel.monitors"
    ).fetchall()
    assert row == [("all services", "seasonal", "up", ["service"], True)]


def test_a_spike_opens_one_alert_with_root_causes_and_closes_at_the_next_normal_hour(conn):
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 1)))
    store(conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0))
    assert evaluate(conn) == 1
    [alert] = alerts(conn)
    assert (alert["service"], alert["status"], alert["bucket_count"]) == ("EC2", "open", 1)
    assert alert["started_at"] == alert["last_flagged_at"] == hour(HISTORY)
    assert 19 < alert["total_impact"] < 21
    top = alert["root_causes"][0]
    # The extra record was in account 2, us-east-1: both slices carry the whole increase.
    assert {(c["dimension"], c["value"]) for c in alert["root_causes"][:2]} == {
        ("account_id", ACCOUNTS[1]),
        ("region", "us-east-1"),
    }
    assert 19 < top["contribution"] < 21
    assert top["actual"] > top["expected"]
    assert events(conn) == [(alert["id"], "opened")]

    assert evaluate(conn) == 0  # nothing new: nothing changes
    store(conn, regular_records("EC2", range(HISTORY + 1, HISTORY + 2)))
    assert evaluate(conn) == 1
    [alert] = alerts(conn)
    assert (alert["status"], alert["ended_at"]) == ("closed", hour(HISTORY + 1))
    assert events(conn) == [(alert["id"], "opened"), (alert["id"], "closed")]
    # Evaluating the same data again changes nothing.
    conn.execute(
        "insert into sentinel_data.alert_touch values ('EC2', %s, %s)", (hour(0), hour(HISTORY))
    )
    conn.commit()
    assert evaluate(conn) == 0
    assert len(events(conn)) == 2


def test_the_default_monitor_takes_the_cached_plan_with_the_same_runs(conn):
    """The default monitor's shape is the one sentinel_internal.default_shape_runs plans once per
    session (a change of the defaults would otherwise turn that off unnoticed), and its runs are
    those the per-call plan gives."""
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 3)))
    store(conn, extra("EC2", range(HISTORY, HISTORY + 2), 20.0))
    evaluate(conn)
    conn.execute("set track_functions = 'all'")
    conn.execute("select sentinel_internal.evaluate_monitor(1, '{EC2}', %s)", (hour(HISTORY),))
    [calls] = conn.execute(
        "select calls from pg_stat_xact_user_functions where funcname = 'default_shape_runs'"
    ).fetchone() or [0]
    assert calls >= 1
    conn.rollback()
    since = hour(HISTORY - 48)
    cached, planned = conn.execute(
        "select sentinel_internal.default_shape_runs(null, 5, null, 'up', '{}', '{EC2}', %s, null),"
        " array(select run from sentinel_internal.monitor_runs('seasonal', 'hour', '{service}',"
        " null, null, 5, null, 'up', '{}', '{EC2}', %s) as run)::text",
        (since, since),
    ).fetchone()
    assert cached == planned
    assert "EC2" in planned


def test_a_six_hour_surge_gives_one_open_at_most_one_update_and_one_close(conn):
    for n in range(HISTORY, HISTORY + 8):
        rows = regular_records("EC2", range(n, n + 1))
        if n < HISTORY + 6:
            rows += extra("EC2", range(n, n + 1), 6.0 + 4 * (n - HISTORY))
        store(conn, rows)
        evaluate(conn)  # as the server does after each commit
    [alert] = alerts(conn)
    assert alert["status"] == "closed"
    kinds = [kind for _, kind in events(conn)]
    assert kinds[0] == "opened"
    assert kinds[-1] == "closed"
    assert kinds.count("opened") == 1
    assert kinds.count("closed") == 1
    assert kinds.count("grew") <= 1


def test_a_four_day_level_shift_gives_one_alert(conn):
    # Spend doubles (twice the instances, twice the cost in every hour) for four days.
    for day in range(4):
        start = HISTORY + 24 * day
        store(conn, regular_records("EC2", range(start, start + 24), base=16.0))
        evaluate(conn)
    assert len(alerts(conn)) == 1
    assert [kind for _, kind in events(conn)].count("opened") == 1


def test_a_late_record_updates_its_alert_instead_of_opening_another(conn):
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 3)))
    store(conn, extra("EC2", range(HISTORY + 1, HISTORY + 2), 20.0))
    evaluate(conn)
    [before] = alerts(conn)
    assert before["status"] == "closed"
    # A record for the flagged hour arrives late: the same alert grows.
    store(conn, extra("EC2", range(HISTORY + 1, HISTORY + 2), 20.0))
    assert evaluate(conn) == 1
    [after] = alerts(conn)
    assert after["id"] == before["id"]
    assert after["total_impact"] > before["total_impact"] + 19


def test_the_filter_and_direction_of_a_monitor(conn):
    conn.execute('update sentinel_data.monitor set filter = \'{"service": ["S3"]}\'')
    conn.execute(
        "insert into sentinel_data.monitor (name, direction, filter)"
        " values ('drops of EC2', 'down', '{\"service\": [\"EC2\"]}')"
    )
    conn.commit()
    rows = regular_records("EC2", range(HISTORY, HISTORY + 1))
    store(conn, [row for row in rows if row[4] == ACCOUNTS[0]])  # half of EC2 stops
    store(conn, regular_records("S3", range(HISTORY, HISTORY + 1)))
    evaluate(conn)
    found = conn.execute(
        "select monitor_name, service, total_impact from sentinel.alerts"
    ).fetchall()
    assert [(name, service) for name, service, _ in found] == [("drops of EC2", "EC2")]
    assert found[0][2] < 0


DATA_TEAM = {"team": "data"}


def tag_team_history(conn) -> None:
    """EC2's records of the first account carry team=data (half of EC2), with a monitor of
    the records tagged team data or web."""
    conn.execute(
        "update sentinel_data.billing_record set tags = %s where service = 'EC2'"
        " and account_id = %s",
        (Jsonb(DATA_TEAM), ACCOUNTS[0]),
    )
    conn.execute(
        "insert into sentinel_data.monitor (name, filter)"
        ' values (\'data team\', \'{"tags": {"team": ["data", "web"]}}\')'
    )
    conn.commit()
    assert evaluate(conn) == 0


def store_hour_with_team(conn, n: int) -> float:
    """The regular records of hour n, EC2's first account tagged team=data; returns the cost
    of the tagged ones."""
    rows = regular_records("EC2", range(n, n + 1)) + regular_records("S3", range(n, n + 1))
    tagged = [row for row in rows if row[0] == "EC2" and row[4] == ACCOUNTS[0]]
    store(conn, [row for row in rows if row not in tagged])
    store_tagged(conn, tagged, DATA_TEAM)
    return sum(row[1] for row in tagged)


def alerts_of(conn, monitor: str) -> list[dict]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            "select service, actual, expected, total_impact, root_causes from sentinel.alerts"
            " where monitor_name = %s order by id",
            (monitor,),
        )
        return cur.fetchall()


def test_a_tags_filter_alerts_on_the_tagged_records_only(conn):
    tag_team_history(conn)
    tagged_cost = store_hour_with_team(conn, HISTORY)
    # A spike tagged team=web (one of the values listed), in the second account.
    store_tagged(conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0), {"team": "web"})
    evaluate(conn)
    [alert] = alerts_of(conn, "data team")
    assert alert["service"] == "EC2"
    # Its figures are those of the tagged records: half of EC2 plus the spike.
    assert alert["actual"] == pytest.approx(tagged_cost + 20.0, abs=1e-9)
    assert alert["expected"] == pytest.approx(tagged_cost, rel=0.05)
    assert 19 < alert["total_impact"] < 21
    causes = {(c["dimension"], c["value"]): c for c in alert["root_causes"]}
    # Root causes count only the tagged records: the second account's slice is the spike alone.
    assert causes[("account_id", ACCOUNTS[1])]["actual"] == 20.0
    assert causes[("tag:team", "web")]["actual"] == 20.0
    assert causes[("tag:team", "data")]["actual"] == pytest.approx(tagged_cost, abs=0.01)
    # The monitor of all records sees the whole of EC2.
    [whole] = alerts_of(conn, "all services")
    ec2_cost = sum(row[1] for row in regular_records("EC2", range(HISTORY, HISTORY + 1)))
    assert whole["actual"] == pytest.approx(ec2_cost + 20.0, abs=1e-9)
    assert whole["actual"] > alert["actual"] + 3


def test_a_tags_filter_ignores_a_spike_of_records_without_the_tag(conn):
    tag_team_history(conn)
    store_hour_with_team(conn, HISTORY)
    store(conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0))  # no tags
    store_tagged(
        conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0), {"team": "ops", "env": "prod"}
    )
    evaluate(conn)
    assert alerts_of(conn, "data team") == []
    assert [alert["service"] for alert in alerts_of(conn, "all services")] == ["EC2"]


def test_tags_match_every_key_with_one_of_its_values(conn):
    cases = [
        ('{"team": "data", "env": "prod"}', '{"team": ["data", "web"], "env": ["prod"]}', True),
        (
            '{"team": "web", "env": "prod", "x": "y"}',
            '{"team": ["data", "web"], "env": ["prod"]}',
            True,
        ),
        ('{"team": "data", "env": "dev"}', '{"team": ["data", "web"], "env": ["prod"]}', False),
        ('{"team": "data"}', '{"team": ["data"], "env": ["prod"]}', False),
        (None, '{"team": ["data"]}', False),
        ('{"team": ""}', '{"team": [""]}', True),
        # Quotes, backslashes, control and other characters are values like any other.
        ('{"a\\"b": "x\\\\y\\n"}', '{"a\\"b": ["x\\\\y\\n"]}', True),
        ('{"a\\"b": "x\\\\y"}', '{"a\\"b": ["x\\\\y\\n"]}', False),
        ('{"équipe": "données $ @"}', '{"équipe": ["données $ @"]}', True),
        ('{"team": "data"}', '{"team": ["data) || (true"]}', False),
        (None, "{}", True),
    ]
    for tags, wanted, expected in cases:
        found = conn.execute("select sentinel.tags_match(%s::jsonb, %s::jsonb)", (tags, wanted))
        assert found.fetchone()[0] is expected, (tags, wanted)


@pytest.mark.parametrize(
    ("method", "granularity", "window"),
    [
        ("trailing", "hour", "3 days"),
        ("robust", "hour", "2 days"),
        ("seasonal", "day", "21 days"),
        ("seasonal", "hour", "21 days"),
        ("trailing", "record", "1 day"),
    ],
)
def test_tags_that_every_record_matches_give_the_verdicts_of_no_tags(
    conn, method, granularity, window
):
    """The tagged points are summed from the records as the rollups sum them: a filter with no
    key (every record matches) scores every bucket as the call without tags does."""
    query = (
        "select service, bucket, cost, baseline_count, expected, spread, score, anomaly"
        " from sentinel.detect(%s, %s, '{service}', %s::interval, tags => %s::jsonb)"
    )
    plain = conn.execute(query, (method, granularity, window, None)).fetchall()
    every = conn.execute(query, (method, granularity, window, "{}")).fetchall()
    assert len(plain) > 20
    assert sorted(plain, key=repr) == sorted(every, key=repr)
    # services narrows the tagged points at their source: the same verdicts for those services.
    narrowed = conn.execute(
        query.replace("tags => %s::jsonb", "tags => %s::jsonb, services => '{S3}'"),
        (method, granularity, window, "{}"),
    ).fetchall()
    assert sorted(narrowed, key=repr) == sorted((r for r in plain if r[0] == "S3"), key=repr)
    assert narrowed


def test_feedback_no_closes_the_alert_and_keeps_its_series_quiet(conn):
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 2)))
    store(conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0))
    evaluate(conn)
    [alert] = alerts(conn)
    conn.execute(
        "update sentinel_data.alert set feedback = 'no', quiet_until = last_flagged_at"
        " + sentinel.alert_quiet_period() where id = %s",
        (alert["id"],),
    )
    conn.commit()
    # A smaller spike within the quiet period opens nothing; a larger one opens an alert.
    store(conn, regular_records("EC2", range(HISTORY + 2, HISTORY + 6)))
    store(conn, extra("EC2", range(HISTORY + 3, HISTORY + 4), 12.0))
    evaluate(conn)
    assert len(alerts(conn)) == 1
    store(conn, extra("EC2", range(HISTORY + 5, HISTORY + 6), 60.0))
    evaluate(conn)
    assert len(alerts(conn)) == 2


def test_one_evaluation_at_a_time(conn, database_url):
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 1)))
    holder = psycopg.connect(database_url)
    try:
        holder.execute("select pg_advisory_xact_lock(hashtext('sentinel.evaluate_alerts'))")
        assert conn.execute("select sentinel.evaluate_alerts()").fetchone()[0] is None
        conn.rollback()
    finally:
        holder.rollback()
        holder.close()
    assert evaluate(conn) == 0  # the queue was left for the next evaluation, which ran


def test_writers_do_not_wait_for_an_evaluation(conn, database_url):
    store(conn, regular_records("EC2", range(HISTORY)))
    evaluate(conn)
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 1)))
    blocker, writer = psycopg.connect(database_url), psycopg.connect(database_url)
    try:
        # Stop an evaluation half-way: it has read the queue and waits to read the alerts.
        blocker.execute("lock table sentinel_data.alert in access exclusive mode")
        outcome = []
        evaluation = threading.Thread(
            target=lambda: outcome.append(evaluate_alerts_now(database_url)), daemon=True
        )
        evaluation.start()
        time.sleep(1.0)
        assert evaluation.is_alive()
        # A write to the service it is evaluating goes through meanwhile.
        writer.execute("set statement_timeout = '3s'")
        store(writer, extra("EC2", range(HISTORY, HISTORY + 1), 80.0))
        blocker.rollback()
        evaluation.join(timeout=30)
        assert len(outcome) == 1
        assert outcome[0] is not None
    finally:
        blocker.close()
        writer.close()
    # The spike written during the evaluation stayed queued (whether that evaluation saw it or
    # not), and once the next one has run it has its alert.
    assert conn.execute("select count(*) from sentinel_data.alert_touch").fetchone()[0] == 1
    evaluate(conn)
    assert [alert["status"] for alert in alerts(conn)] == ["open"]
    assert conn.execute("select count(*) from sentinel_data.alert_touch").fetchone()[0] == 0


def evaluate_alerts_now(database_url: str) -> int | None:
    with psycopg.connect(database_url) as evaluator:
        return evaluator.execute("select sentinel.evaluate_alerts()").fetchone()[0]


# Over HTTP: monitors, alerts, feedback, stats, and the evaluator of `sentinel serve`.


@pytest.fixture
def api(client, conn):
    return client


def test_monitor_crud_with_defaults_and_named_errors(api):
    created = api.post("/api/v1/monitors", json={"name": "per account", "group_by": ["account_id"]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["method"] == "seasonal"
    assert body["window"] == "28d"
    assert body["threshold"] == 5.0
    assert body["direction"] == "up"
    assert body["group_by"] == ["account_id"]
    assert (body["min_impact"], body["min_daily_pct"]) == (0.05, 1.5)  # the materiality floors
    assert (
        problem_of(api.post("/api/v1/monitors", json={"name": "per account"}), 409)["errors"][0][
            "field"
        ]
        == "name"
    )
    bad = problem_of(api.post("/api/v1/monitors", json={"name": "w", "window": "7x"}), 422)
    assert bad["errors"][0]["field"] == "window"
    bad = problem_of(api.post("/api/v1/monitors", json={"name": "m", "min_daily_pct": -1}), 422)
    assert bad["errors"][0]["field"] == "min_daily_pct"
    bad = problem_of(api.post("/api/v1/monitors", json={"name": "f", "filter": {"tag": []}}), 422)
    assert "filter" in bad["errors"][0]["field"]
    monitor_id = body["id"]
    replaced = api.put(
        f"/api/v1/monitors/{monitor_id}",
        json={"name": "per account", "method": "trailing", "direction": "both"},
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["method"], replaced.json()["window"]) == ("trailing", "7d")
    assert api.get(f"/api/v1/monitors/{monitor_id}").json()["direction"] == "both"
    floors = {"name": "per account", "min_impact": 0, "min_daily_pct": 2.5}
    assert api.put(f"/api/v1/monitors/{monitor_id}", json=floors).status_code == 200
    stored = api.get(f"/api/v1/monitors/{monitor_id}").json()
    assert (stored["min_impact"], stored["min_daily_pct"]) == (0, 2.5)
    assert [m["name"] for m in api.get("/api/v1/monitors").json()] == [
        "all services",
        "per account",
    ]
    assert api.delete(f"/api/v1/monitors/{monitor_id}").status_code == 200
    problem_of(api.get(f"/api/v1/monitors/{monitor_id}"), 404)
    problem_of(api.get("/api/v1/monitors/99999999999999999999999"), 404)
    problem_of(api.get("/api/v1/monitors/abc"), 422)


def _spike(conn):
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 1)))
    store(conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0))
    evaluate(conn)


def test_a_monitor_tags_filter_over_http(api):
    tags = {"team": ["data", "web"], "env": ["prod"]}
    created = api.post("/api/v1/monitors", json={"name": "tagged", "filter": {"tags": tags}})
    assert created.status_code == 201, created.text
    assert created.json()["filter"] == {"tags": tags}
    assert api.get(f"/api/v1/monitors/{created.json()['id']}").json()["filter"] == {"tags": tags}
    for tags, field in [
        ({"team": []}, "filter.tags.team"),
        ({"team": "data"}, "filter.tags.team"),
        ({"team": ["a\u0000b"]}, "filter.tags.team[0]"),
        ({"team": ["v" * 257]}, "filter.tags.team[0]"),
        ({"k" * 129: ["v"]}, "filter.tags"),
        ({}, "filter.tags"),
        ({f"k{n}": ["v"] for n in range(51)}, "filter.tags"),
    ]:
        bad = problem_of(
            api.post("/api/v1/monitors", json={"name": "t", "filter": {"tags": tags}}), 422
        )
        assert bad["errors"][0]["field"].startswith(field), (tags, bad)


def test_alerts_over_http_list_one_feedback_and_stats(api, conn):
    _spike(conn)
    [listed] = api.get("/api/v1/alerts", params={"status": "open", "service": "EC2"}).json()
    assert listed["monitor_name"] == "all services"
    assert listed["root_causes"]
    assert api.get("/api/v1/alerts", params={"status": "closed"}).json() == []
    assert api.get("/api/v1/alerts", params={"min_impact": 1000}).json() == []
    one = api.get(f"/api/v1/alerts/{listed['id']}").json()
    assert one == listed
    problem_of(api.get("/api/v1/alerts/12345"), 404)

    rated = api.post(
        f"/api/v1/alerts/{listed['id']}/feedback", json={"verdict": "planned", "note": "launch"}
    )
    assert rated.status_code == 201, rated.text
    assert (rated.json()["verdict"], rated.json()["note"]) == ("planned", "launch")
    after = api.get(f"/api/v1/alerts/{listed['id']}").json()
    assert (after["status"], after["feedback"]) == ("closed", "planned")
    assert after["quiet_until"] is not None
    stored = conn.execute("select verdict, note from sentinel.alert_feedback").fetchall()
    assert stored == [("planned", "launch")]
    stats = api.get("/api/v1/alerts/stats").json()
    assert stats == {
        "raised": 1,
        "open": 0,
        "rated": 1,
        "rated_yes": 0,
        "rated_no": 0,
        "rated_planned": 1,
        "precision": 0.0,
    }
    bad = problem_of(
        api.post(f"/api/v1/alerts/{listed['id']}/feedback", json={"verdict": "x"}), 422
    )
    assert bad["errors"][0]["field"] == "verdict"
    problem_of(api.post("/api/v1/alerts/777/feedback", json={"verdict": "yes"}), 404)


def test_alert_pages_follow_the_link_header(api, conn):
    for n in range(3):
        store(conn, regular_records("EC2", range(HISTORY + 2 * n, HISTORY + 2 * n + 2)))
        store(conn, extra("EC2", range(HISTORY + 2 * n, HISTORY + 2 * n + 1), 20.0 + 20 * n))
        evaluate(conn)
    first = api.get("/api/v1/alerts", params={"limit": 2})
    ids = [alert["id"] for alert in first.json()]
    assert len(ids) == 2
    assert ids == sorted(ids, reverse=True)
    next_url = first.headers["link"].split(";")[0].strip("<>")
    rest = api.get(next_url).json()
    assert len(rest) == 1
    assert rest[0]["id"] < ids[-1]


def test_direction_on_the_detector_endpoints(api, conn):
    rows = regular_records("EC2", range(HISTORY, HISTORY + 1))
    store(conn, [row for row in rows if row[4] == ACCOUNTS[0]])  # EC2 halves
    down = api.get("/api/v1/billing/anomalies", params={"method": "seasonal", "direction": "down"})
    up = api.get("/api/v1/billing/anomalies", params={"method": "seasonal", "direction": "up"})
    assert [a["service"] for a in down.json()] == ["EC2"]
    assert down.json()[0]["impact"] < 0
    assert up.json() == []
    bad = problem_of(api.get("/api/v1/billing/anomalies", params={"direction": "sideways"}), 422)
    assert bad["errors"][0]["field"] == "direction"


def test_feedback_needs_write_and_keeps_the_key_name(settings, database_url, conn):
    _spike(conn)
    alert_id = alerts(conn)[0]["id"]
    truncate_all(database_url)  # keys only here; the alert's records go too, the alert stays
    read, write = (make_key(database_url, f"{s}-fb", s) for s in ("read", "write"))
    secured = settings.model_copy(update={"auth": "required"})
    with TestClient(create_app(secured)) as client:
        url = f"/api/v1/alerts/{alert_id}/feedback"
        problem_of(client.post(url, json={"verdict": "yes"}), 401)
        problem_of(client.post(url, json={"verdict": "yes"}, headers=bearer(read)), 403)
        assert client.post(url, json={"verdict": "yes"}, headers=bearer(write)).status_code == 201
        problem_of(client.post("/api/v1/monitors", json={"name": "m"}, headers=bearer(write)), 403)
    assert conn.execute("select key_name from sentinel.alert_feedback").fetchone() == ("write-fb",)
    truncate_all(database_url)


def test_the_server_evaluates_right_after_a_committed_batch(settings, conn):
    live = settings.model_copy(update={"alert_evaluation_seconds": 600})
    with TestClient(create_app(live)) as client:
        time.sleep(0.5)  # the evaluator's first round and LISTEN
        records = [
            {"service": s, "cost": c, "timestamp": t.isoformat(), "region": r, "account_id": a}
            for s, c, t, r, a in regular_records("EC2", range(HISTORY, HISTORY + 1))
            + extra("EC2", range(HISTORY, HISTORY + 1), 20.0)
        ]
        posted_at = time.monotonic()
        assert client.post("/api/v1/billing/batch", json={"records": records}).status_code == 201
        found = threading.Event()
        while time.monotonic() - posted_at < 10 and not found.is_set():
            if client.get("/api/v1/alerts").json():
                found.set()
            time.sleep(0.05)
        assert found.is_set(), "no alert within 10 s of the commit (the tick is 600 s)"


def test_the_default_monitor_alerts_on_a_seeded_spike(client, database_url):
    """A new user's path: mock data with labelled spikes, no configuration, alerts. The mock
    generator with fixed seeds, so that spikes fall after the detector's warm-up every run."""
    with psycopg.connect(database_url) as conn:
        reset(conn)
    end = datetime.now(UTC)
    for seed in (1, 2, 3):
        records = generate_records(days=30, end=end - timedelta(days=30 * seed), rng=Random(seed))
        batch = {"records": [r.model_dump(mode="json") for r in records]}
        assert client.post("/api/v1/billing/batch", json=batch).status_code == 201
    with psycopg.connect(database_url) as conn:
        evaluate(conn)
        spikes = conn.execute(
            "select service, timestamp from sentinel.billing_records where is_anomaly"
            " and timestamp >= (select min(timestamp) + interval '14 days'"
            " from sentinel.billing_records) order by timestamp"
        ).fetchall()
        found = alerts(conn)
        reset(conn)
    assert len(spikes) >= 3
    # Every labelled spike after two weeks of history (the detector's warm-up) lies in one of
    # the default monitor's alerts for its service.
    for service, at in spikes:
        assert any(
            a["service"] == service and a["started_at"] <= at <= a["last_flagged_at"] for a in found
        ), (service, at, [(a["service"], a["started_at"]) for a in found])


def test_a_monitor_alerts_only_on_material_changes_unless_its_floor_is_lowered(conn):
    # $1.50 more in one hour of EC2 (about $190 a day): well beyond its bounds, but under 1
    # percent of its daily spend (the default floor is 1.5); a monitor with min_daily_pct 0 alerts.
    conn.execute(
        "insert into sentinel_data.monitor (name, min_daily_pct) values ('every change', 0)"
    )
    conn.commit()
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 2)))
    store(conn, extra("EC2", range(HISTORY, HISTORY + 1), 1.5))
    evaluate(conn)
    raised = conn.execute(
        "select monitor.name, alert.service from sentinel.alerts as alert"
        " join sentinel.monitors as monitor on monitor.id = alert.monitor_id"
    ).fetchall()
    assert raised == [("every change", "EC2")]
    floors = dict(conn.execute("select name, min_daily_pct from sentinel.monitors").fetchall())
    defaults = conn.execute(
        "select min_daily_pct from sentinel.detector_defaults where recommended"
    ).fetchone()
    assert floors == {"all services": defaults[0], "every change": 0}


def test_the_default_monitor_judges_a_daily_service_by_the_day(conn):
    # A service billed once a day at midnight, three weeks of it, then a day at twice the
    # usual: the hourly default monitor raises a day alert for it.
    first = hour(HISTORY).replace(hour=0) - timedelta(days=21)
    rows = [
        ("Azure VMs", 50 + (day % 3), first + timedelta(days=day), "westeurope", ACCOUNTS[0])
        for day in range(21)
    ]
    store(conn, rows)
    evaluate(conn)
    store(conn, [("Azure VMs", 100, first + timedelta(days=21), "westeurope", ACCOUNTS[0])])
    evaluate(conn)
    [(service, granularity, bucket_count)] = conn.execute(
        "select service, granularity, bucket_count from sentinel.alerts"
    ).fetchall()
    assert (service, granularity, bucket_count) == ("Azure VMs", "day", 1)
