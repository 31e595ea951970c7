"""Notifications reach real peers: a local HTTP receiver (webhook, Slack) and a local SMTP
server, from the outbox rows an evaluation commits, signed, retried, and never repeated."""

import asyncio
import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from sentinel.app import create_app
from sentinel.notify import NotifyConfig, deliver_due
from sentinel.queries import Queries
from tests.integration.access_helpers import problem_of
from tests.integration.alert_data import (
    HISTORY,
    alerts,
    evaluate,
    extra,
    regular_history,
    regular_records,
    reset,
    store,
)
from tests.integration.peers import http_receiver, smtp_server


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with regular_history(database_url) as conn:
        yield conn


def subscribe(conn, channel: str, target: str, **fields) -> tuple[int, str | None]:
    """A subscription of the default monitor, written as the API writes it."""
    secret = "whsec_test" if channel == "webhook" else None
    row = conn.execute(
        "insert into sentinel_data.subscription"
        " (monitor_id, channel, target, frequency, min_impact, min_pct, secret)"
        " select id, %s, %s, %s, %s, %s, %s from sentinel_data.monitor"
        " where name = 'all services' returning id",
        (
            channel,
            target,
            fields.get("frequency", "immediate"),
            fields.get("min_impact", 0),
            fields.get("min_pct", 0),
            secret,
        ),
    ).fetchone()
    conn.commit()
    return row[0], secret


def spike(conn, n: int = HISTORY, cost: float = 20.0) -> None:
    store(conn, regular_records("EC2", range(n, n + 1)) + extra("EC2", range(n, n + 1), cost))
    evaluate(conn)


def normal_hour(conn, n: int) -> None:
    store(conn, regular_records("EC2", range(n, n + 1)))
    evaluate(conn)


def outbox(conn) -> list[tuple]:
    conn.commit()
    return conn.execute(
        "select subscription_id, kind, status, attempts from sentinel.notifications order by id"
    ).fetchall()


def deliver(database_url: str, **config) -> int:
    """Run the notifier's delivery rounds until nothing is due; how many attempts were made."""
    settings = {
        "retry_seconds": 0.05,
        "max_attempts": 5,
        "timeout": 5.0,
        "smtp_url": None,
        "smtp_from": "sentinel@example.com",
        "public_url": "https://sentinel.example",
    } | config

    async def rounds() -> int:
        tried = 0
        async with (
            await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn,
            httpx.AsyncClient() as client,
        ):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                done = await deliver_due(conn, Queries(), client, NotifyConfig(**settings))
                tried += done
                cur = await conn.execute(
                    "select count(*) from sentinel_data.notification where status = 'pending'"
                )
                if (await cur.fetchone())[0] == 0:
                    break
                await asyncio.sleep(0.02)
        return tried

    return asyncio.run(rounds())


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (README "Notifications")."""
    signed = headers["x-sentinel-timestamp"].encode() + b"." + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-sentinel-signature"])


def test_a_webhook_gets_the_alert_signed_once_when_it_opens_and_once_when_it_closes(
    conn, database_url
):
    with http_receiver() as receiver:
        subscription_id, secret = subscribe(conn, "webhook", receiver.url + "/hook")
        spike(conn)
        assert outbox(conn) == [(subscription_id, "opened", "pending", 0)]
        assert deliver(database_url) == 1
        [opened] = receiver.wait_for(1)
        assert verify(secret, opened.headers, opened.body)
        assert not verify("whsec_other", opened.headers, opened.body)
        assert abs(int(opened.headers["x-sentinel-timestamp"]) - time.time()) < 60
        body = opened.json()
        assert body["type"] == "alert.opened"
        assert opened.headers["idempotency-key"] == body["idempotency_key"]
        assert body["alert"]["service"] == "EC2"
        assert body["alert"]["status"] == "open"
        assert 19 < body["alert"]["total_impact"] < 21
        assert body["alert"]["root_causes"], "the payload carries the root causes"
        assert body["alert"]["path"] == f"/api/v1/alerts/{body['alert']['id']}"

        # Evaluating again, or another notifier round, sends nothing more.
        evaluate(conn)
        assert deliver(database_url) == 0
        normal_hour(conn, HISTORY + 1)
        assert deliver(database_url) == 1
        closed = receiver.wait_for(2)[1].json()
        assert (closed["type"], closed["alert"]["status"]) == ("alert.closed", "closed")
        assert closed["idempotency_key"] != body["idempotency_key"]
    assert [row[1:3] for row in outbox(conn)] == [("opened", "delivered"), ("closed", "delivered")]


def test_slack_and_email_get_a_readable_message(conn, database_url):
    with http_receiver() as slack, smtp_server() as mail:
        subscribe(conn, "slack", slack.url + "/services/T000/B000/XXXX")
        subscribe(conn, "email", "finops@example.com")
        spike(conn)
        assert deliver(database_url, smtp_url=mail.url) == 2
        text = slack.wait_for(1)[0].json()["text"]
        assert "cost anomaly opened" in text
        assert "EC2" in text
        assert "expected $" in text
        assert "account_id 222222222222 +$19" in text
        assert "https://sentinel.example/api/v1/alerts/" in text
        [message] = mail.wait_for(1)
        assert message["To"] == "finops@example.com"
        assert message["From"] == "sentinel@example.com"
        assert "EC2" in message["Subject"]
        assert "opened" in message["Subject"]
        assert "Top root causes" in message.get_payload()


def test_a_receiver_that_fails_three_times_is_served_on_the_fourth_try_once(conn, database_url):
    with http_receiver(failures=3) as receiver:
        subscribe(conn, "webhook", receiver.url)
        spike(conn)
        deliver(database_url)
        assert len(receiver.wait_for(1)) == 1
        assert len(receiver.requests) == 4
        # Every try carried the same idempotency key.
        assert len({r.headers["idempotency-key"] for r in receiver.requests}) == 1
    [(_, _, status, attempts)] = outbox(conn)
    assert (status, attempts) == ("delivered", 4)
    last_error = conn.execute("select last_error from sentinel.notifications").fetchone()[0]
    assert last_error is None


def test_the_wait_doubles_and_a_message_fails_for_good_after_the_last_attempt(conn, database_url):
    with http_receiver(failures=100) as receiver:
        subscribe(conn, "webhook", receiver.url)
        spike(conn)
        deliver(database_url, max_attempts=3)
        assert len(receiver.requests) == 3
    [(_, _, status, attempts)] = outbox(conn)
    assert (status, attempts) == ("failed", 3)
    assert conn.execute("select last_error from sentinel.notifications").fetchone() == (
        "HTTP 500 from the receiver",
    )
    from sentinel.notify import retry_delay

    waits = [retry_delay(n, 10.0) for n in (1, 2, 3, 20)]
    assert 10 <= waits[0] <= 12.5
    assert 20 <= waits[1] <= 25
    assert 40 <= waits[2] <= 50
    assert 3600 <= waits[3] <= 4500


def test_thresholds_must_both_hold(conn, database_url):
    big, _ = subscribe(conn, "webhook", "http://127.0.0.1:9/none", min_impact=1000)
    pct, _ = subscribe(conn, "webhook", "http://127.0.0.1:9/none", min_impact=5, min_pct=1e6)
    both, _ = subscribe(conn, "webhook", "http://127.0.0.1:9/none", min_impact=5, min_pct=50)
    spike(conn)
    assert [row[:2] for row in outbox(conn)] == [(both, "opened")]
    assert big
    assert pct


def test_a_six_hour_surge_notifies_open_at_most_one_update_and_close(conn, database_url):
    with http_receiver() as receiver:
        subscribe(conn, "webhook", receiver.url)
        for n in range(HISTORY, HISTORY + 8):
            rows = regular_records("EC2", range(n, n + 1))
            if n < HISTORY + 6:
                rows += extra("EC2", range(n, n + 1), 6.0 + 4 * (n - HISTORY))
            store(conn, rows)
            evaluate(conn)
            deliver(database_url)
        kinds = [r.json()["type"] for r in receiver.served]
    assert kinds[0] == "alert.opened"
    assert kinds[-1] == "alert.closed"
    assert kinds.count("alert.grew") <= 1
    assert len(kinds) <= 3


def test_messages_committed_while_no_notifier_ran_are_delivered_when_one_starts(
    settings, conn, database_url
):
    with http_receiver() as receiver:
        subscribe(conn, "webhook", receiver.url)
        spike(conn)  # committed: the alert and its message, no notifier alive
        assert [row[2] for row in outbox(conn)] == ["pending"]
        live = settings.model_copy(update={"notify_poll_seconds": 600})
        with TestClient(create_app(live)):
            assert len(receiver.wait_for(1)) == 1
        assert len(receiver.served) == 1
    assert [row[2] for row in outbox(conn)] == ["delivered"]


def test_a_rolled_back_evaluation_tells_nobody(conn):
    subscribe(conn, "webhook", "http://127.0.0.1:9/none")
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 1)))
    store(conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0))
    assert conn.execute("select sentinel.evaluate_alerts()").fetchone()[0] == 1
    assert len(conn.execute("select * from sentinel_data.notification").fetchall()) == 1
    conn.rollback()
    assert outbox(conn) == []
    assert alerts(conn) == []


def test_a_daily_digest_lists_the_days_alerts_once(conn, database_url):
    with http_receiver() as receiver:
        subscription_id, _ = subscribe(conn, "webhook", receiver.url, frequency="daily")
        spike(conn)
        assert outbox(conn) == []  # not immediate
        today = conn.execute("select date_trunc('day', now(), 'UTC')").fetchone()[0]
        tomorrow = today + timedelta(days=1, minutes=5)
        assert conn.execute("select sentinel.enqueue_digests(%s)", (today,)).fetchone() == (0,)
        assert conn.execute("select sentinel.enqueue_digests(%s)", (tomorrow,)).fetchone() == (1,)
        assert conn.execute("select sentinel.enqueue_digests(%s)", (tomorrow,)).fetchone() == (0,)
        conn.commit()
        deliver(database_url)
        [digest] = receiver.wait_for(1)
    body = digest.json()
    assert body["type"] == "digest.daily"
    assert [a["service"] for a in body["alerts"]] == ["EC2"]
    assert body["period_end"].startswith((today + timedelta(days=1)).date().isoformat())
    assert outbox(conn) == [(subscription_id, "digest", "delivered", 1)]


def test_secrets_stay_out_of_the_views(conn):
    subscribe(conn, "webhook", "http://127.0.0.1:9/hook")
    subscribe(conn, "slack", "https://hooks.slack.com/services/T000/B000/SECRETTOKEN")
    columns = {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'sentinel' and table_name = 'subscriptions'"
        )
    }
    assert "secret" not in columns
    targets = [row[0] for row in conn.execute("select target from sentinel.subscriptions")]
    assert targets == ["http://127.0.0.1:9/hook", "https://hooks.slack.com/…"]
    for view in ("subscriptions", "notifications"):
        comment = conn.execute(
            "select obj_description(%s::regclass)", (f"sentinel.{view}",)
        ).fetchone()[0]
        assert comment


# Over HTTP: subscriptions, notifications, and the outside check of the issue.


def test_subscriptions_over_http(client, conn, settings):
    monitor = client.get("/api/v1/monitors").json()[0]["id"]
    url = f"/api/v1/monitors/{monitor}/subscriptions"
    created = client.post(url, json={"channel": "webhook", "target": "https://example.com/h"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert len(body["secret"]) > 40
    assert body["frequency"] == "immediate"
    assert body["min_impact"] == 0
    listed = client.get(url).json()
    assert [s["id"] for s in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert client.get(f"{url}/{body['id']}").json() == listed[0]
    stored = conn.execute("select secret from sentinel_data.subscription").fetchone()[0]
    assert stored == body["secret"]

    bad = problem_of(client.post(url, json={"channel": "email", "target": "x"}), 422)
    assert bad["errors"][0]["field"] == "target"
    bad = problem_of(client.post(url, json={"channel": "webhook", "target": "ftp://h/x"}), 422)
    assert bad["errors"][0]["field"] == "target"
    bad = problem_of(client.post(url, json={"channel": "sms", "target": "1"}), 422)
    assert bad["errors"][0]["field"] == "channel"
    bad = problem_of(client.post(url, json={"channel": "email", "target": "a@b.example"}), 422)
    assert bad["errors"][0]["field"] == "channel"
    assert "SENTINEL_SMTP_URL" in bad["detail"]
    bad = problem_of(
        client.post(url, json={"channel": "slack", "target": "https://h/x", "min_pct": -1}), 422
    )
    assert bad["errors"][0]["field"] == "min_pct"
    problem_of(client.post("/api/v1/monitors/999/subscriptions", json=body | {"id": 1}), 422)
    problem_of(
        client.post(
            "/api/v1/monitors/999/subscriptions", json={"channel": "webhook", "target": "http://h"}
        ),
        404,
    )
    problem_of(client.get("/api/v1/monitors/999/subscriptions"), 404)

    changed = {"channel": "webhook", "target": "https://example.com/new", "frequency": "daily"}
    replaced = client.put(f"{url}/{body['id']}", json=changed | {"min_impact": 5})
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["target"], replaced.json()["frequency"]) == (changed["target"], "daily")
    assert replaced.json()["min_impact"] == 5
    assert client.get(f"{url}/{body['id']}").json() == replaced.json()
    assert conn.execute("select secret from sentinel_data.subscription").fetchone()[0] == stored
    other = changed | {"channel": "slack"}
    assert (
        problem_of(client.put(f"{url}/{body['id']}", json=other), 422)["errors"][0]["field"]
        == "channel"
    )
    problem_of(client.put(f"{url}/999", json=changed), 404)

    assert client.delete(f"{url}/{body['id']}").status_code == 200
    problem_of(client.get(f"{url}/{body['id']}"), 404)
    assert client.get(url).json() == []


def test_a_failed_message_is_sent_again_on_request(client, conn, database_url):
    with http_receiver(failures=2) as receiver:
        subscribe(conn, "webhook", receiver.url)
        spike(conn)
        deliver(database_url, max_attempts=2)
        [(_, _, status, attempts)] = outbox(conn)
        assert (status, attempts) == ("failed", 2)
        [message] = client.get("/api/v1/notifications").json()
        retried = client.post(f"/api/v1/notifications/{message['id']}/retry")
        assert retried.status_code == 200, retried.text
        assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
        assert deliver(database_url) == 1
        assert len(receiver.requests) == 3
    [(_, _, status, attempts)] = outbox(conn)
    assert (status, attempts) == ("delivered", 1)
    again = problem_of(client.post(f"/api/v1/notifications/{message['id']}/retry"), 409)
    assert again["errors"][0]["field"] == "id"
    problem_of(client.post("/api/v1/notifications/999/retry"), 404)
    problem_of(client.post(f"/api/v1/notifications/{'9' * 40}/retry"), 404)


def test_the_outside_check(settings, database_url):
    """A fresh database: a monitor and a webhook subscription through the API, two weeks of
    hourly history and then a spike posted; one signed webhook within seconds, an open alert
    with root causes, feedback stored."""
    with psycopg.connect(database_url) as conn:
        reset(conn)
    live = settings.model_copy(update={"alert_evaluation_seconds": 600, "notify_poll_seconds": 600})

    def batch(rows) -> dict:
        return {
            "records": [
                {"service": s, "cost": c, "timestamp": t.isoformat(), "region": r, "account_id": a}
                for s, c, t, r, a in rows
            ]
        }

    with http_receiver() as receiver, TestClient(create_app(live)) as client:
        monitor = client.post("/api/v1/monitors", json={"name": "compute"})
        assert monitor.status_code == 201, monitor.text
        sub = client.post(
            f"/api/v1/monitors/{monitor.json()['id']}/subscriptions",
            json={"channel": "webhook", "target": receiver.url},
        ).json()
        for day in range(14):
            hours = range(24 * day, 24 * day + 24)
            assert (
                client.post(
                    "/api/v1/billing/batch",
                    json=batch(regular_records("EC2", hours) + regular_records("S3", hours)),
                ).status_code
                == 201
            )
        time.sleep(1.0)  # the evaluator catches up with the history: nothing to tell
        assert receiver.requests == []
        posted = time.monotonic()
        rows = regular_records("EC2", range(HISTORY, HISTORY + 1))
        rows += extra("EC2", range(HISTORY, HISTORY + 1), 20.0)
        assert client.post("/api/v1/billing/batch", json=batch(rows)).status_code == 201
        [hook] = receiver.wait_for(1)
        elapsed = time.monotonic() - posted
        assert verify(sub["secret"], hook.headers, hook.body)
        # Both monitors (the default one and "compute") watch EC2; this subscription is
        # compute's, so it hears of compute's alert only.
        assert hook.json()["alert"]["monitor_name"] == "compute"
        assert elapsed < 5, elapsed
        [alert] = client.get(
            "/api/v1/alerts", params={"monitor_id": monitor.json()["id"], "status": "open"}
        ).json()
        assert alert["root_causes"]
        assert alert["id"] == hook.json()["alert"]["id"]
        rated = client.post(f"/api/v1/alerts/{alert['id']}/feedback", json={"verdict": "yes"})
        assert rated.status_code == 201
        time.sleep(0.3)
        assert len(receiver.requests) == 1
        [sent] = client.get("/api/v1/notifications", params={"status": "delivered"}).json()
        assert (sent["alert_id"], sent["kind"], sent["attempts"]) == (alert["id"], "opened", 1)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("select verdict from sentinel.alert_feedback").fetchone() == ("yes",)
        reset(conn)
