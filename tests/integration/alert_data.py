"""Hourly billing history for the alert tests: regular spend with a daily rhythm, and the
changes a monitor should alert on (a spike, a surge, a level shift)."""

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

START = datetime(2026, 9, 1, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")


def hour(n: int) -> datetime:
    return START + timedelta(hours=n)


def regular_records(service: str, hours: range, *, base: float = 8.0, seed: int = 7) -> list:
    """Four records per hour (two accounts by two regions) of a daily rhythm with small noise."""
    rng = random.Random(f"{service}:{seed}")
    rows = []
    for n in hours:
        level = base * (1 + 0.3 * math.sin(2 * math.pi * (n % 24) / 24))
        for account in ACCOUNTS:
            for region in REGIONS:
                cost = round(level / 4 * (1 + rng.uniform(-0.04, 0.04)), 4)
                rows.append((service, cost, hour(n), region, account))
    return rows


def extra(service: str, hours: range, cost: float, *, account: str = ACCOUNTS[1]) -> list:
    """An extra record of `cost` in each hour (one account, one region): the anomaly."""
    return [(service, cost, hour(n), REGIONS[0], account) for n in hours]


def store(conn: psycopg.Connection, rows: list) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "insert into sentinel_data.billing_record"
            " (service, cost, timestamp, region, account_id) values (%s, %s, %s, %s, %s)",
            rows,
        )
    conn.commit()


def evaluate(conn: psycopg.Connection) -> int:
    """As the server's evaluator does it: the refresh, then the evaluation, each committed."""
    conn.execute("select sentinel.refresh_baselines()")
    conn.commit()
    changed = conn.execute("select sentinel.evaluate_alerts()").fetchone()[0]
    conn.commit()
    return changed


def alerts(conn: psycopg.Connection) -> list[dict]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            "select id, service, status, started_at, last_flagged_at, ended_at, bucket_count,"
            " total_impact, root_causes, feedback from sentinel.alerts order by id"
        )
        return cur.fetchall()


def events(conn: psycopg.Connection) -> list[tuple[int, str]]:
    return conn.execute(
        "select alert_id, kind from sentinel_data.alert_event order by id"
    ).fetchall()


def reset(conn: psycopg.Connection) -> None:
    """No records, alerts, subscriptions, notifications or queued hours; the monitors back to
    the one default monitor."""
    conn.execute(
        "truncate sentinel_data.billing_record, sentinel_data.alert, sentinel_data.subscription"
        " restart identity cascade"
    )
    conn.execute("delete from sentinel_data.monitor where name <> 'all services'")
    conn.execute(
        "update sentinel_data.monitor set method = null, granularity = 'hour',"
        " group_by = '{service}', baseline = null, threshold = null, min_impact = null,"
        " min_pct = null, direction = 'up', filter = '{}', enabled = true"
    )
    conn.commit()


HISTORY = 24 * 14  # two weeks of hourly history before anything happens


@contextmanager
def regular_history(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection to a database holding two weeks of regular EC2 and S3 spend, evaluated (no
    alert yet); emptied again afterwards."""
    with psycopg.connect(database_url) as conn:
        reset(conn)
        store(conn, regular_records("EC2", range(HISTORY)) + regular_records("S3", range(HISTORY)))
        assert evaluate(conn) == 0  # regular history raises nothing
        yield conn
        reset(conn)


def store_tagged(conn: psycopg.Connection, rows: list, tags: dict[str, str]) -> None:
    """As store, every record carrying these tags."""
    with conn.cursor() as cur:
        cur.executemany(
            "insert into sentinel_data.billing_record"
            " (service, cost, timestamp, region, account_id, tags)"
            " values (%s, %s, %s, %s, %s, %s)",
            [(*row, Jsonb(tags)) for row in rows],
        )
    conn.commit()
