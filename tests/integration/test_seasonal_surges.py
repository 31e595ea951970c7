"""The seasonal detector at the end of a surge (issue 11, item 2): the level returns to the usual
shape within hours, so a surge ends without alerts in either direction, while a lasting shift
still alerts once, at its onset, and a spike is still flagged in its first bucket.

Each series is 40 days of hourly cost with a diurnal and a weekly rhythm and a little
deterministic noise; verdicts are read with direction 'both', so a drop would show.
"""

import math
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
HOURS = 40 * 24
SURGE = 30 * 24 + 9  # 09:00 on day 30, for 20 hours
INSERT = (
    'insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)'
    " select 'EC2', cost, %s::timestamptz + (n - 1) * interval '1 hour', 'r', 'a'"
    " from unnest(%s::numeric[]) with ordinality as t (cost, n)"
)
VERDICTS = (
    "select bucket, cost, expected, anomaly from sentinel.detect("
    "'seasonal', 'hour', %s, null, null, null, null, 'both') order by bucket"
)


@pytest.fixture
def empty_db(db: psycopg.Connection) -> psycopg.Connection:
    """The rolled-back connection, on a billing table emptied inside its transaction."""
    db.execute("delete from sentinel_data.billing_record")
    db.execute("select sentinel.refresh_baselines()")  # what earlier tests left stale
    return db


def series(factors: dict[int, float]) -> list[float]:
    """Hourly cost with a peak at 14:00 UTC, quieter weekends, 3 percent noise; factors[h]
    multiplies hour h (the injected events)."""
    costs = []
    for h in range(HOURS):
        at = START + timedelta(hours=h)
        season = 1 + 0.3 * math.cos(2 * math.pi * (at.hour - 14) / 24)
        day = 0.75 if at.weekday() >= 5 else 1.0
        noise = 1 + 0.03 * math.sin(h * 12.9898)
        costs.append(round(10 * season * day * noise * factors.get(h, 1.0), 4))
    return costs


def flagged_runs(rows: list[tuple]) -> list[tuple[int, int]]:
    """(first hour, last hour) of each run of consecutive flagged hours."""
    runs: list[tuple[int, int]] = []
    for bucket, _, _, anomaly in rows:
        if not anomaly:
            continue
        hour = (bucket - START) // timedelta(hours=1)
        if runs and runs[-1][1] == hour - 1:
            runs[-1] = (runs[-1][0], hour)
        else:
            runs.append((hour, hour))
    return runs


def verdicts(db: psycopg.Connection) -> list[tuple]:
    """The full computation's verdicts, checked against the stored baselines' (the default call
    after a refresh), which must be the same."""
    full = db.execute(VERDICTS, (["service", "region"],)).fetchall()
    db.execute("select sentinel.refresh_baselines()")
    assert db.execute(VERDICTS, (["service"],)).fetchall() == full
    return full


def test_a_surge_is_flagged_from_its_first_hour_and_its_end_not_at_all(empty_db):
    db = empty_db
    db.execute(INSERT, (START, series({h: 2.0 for h in range(SURGE, SURGE + 20)})))
    rows = verdicts(db)
    runs = flagged_runs(rows)
    assert [run[0] for run in runs] == [SURGE]
    assert runs[0][1] < SURGE + 20
    # Three hours after the end the expected value is the usual one again.
    _, cost, expected, _ = rows[SURGE + 23]
    assert expected == pytest.approx(cost, rel=0.1)


def test_the_end_of_a_surge_appended_hour_by_hour_is_not_flagged(empty_db):
    # Readers polling during ingest: the hours after the surge go through the refresh's
    # one-hour plan, which must pick the same level as the full computation.
    db = empty_db
    costs = series({h: 2.0 for h in range(SURGE, SURGE + 20)})
    end = SURGE + 20
    db.execute(INSERT, (START, costs[:end]))
    db.execute("select sentinel.refresh_baselines()")
    for hour in range(end, end + 14):
        db.execute(INSERT, (START + timedelta(hours=hour), costs[hour : hour + 1]))
        assert db.execute("select sentinel.refresh_baselines()").fetchone() == (1,)
    stored = db.execute(VERDICTS, (["service"],)).fetchall()
    assert stored == db.execute(VERDICTS, (["service", "region"],)).fetchall()
    assert [run[0] for run in flagged_runs(stored)] == [SURGE]
    assert all(not anomaly for *_, anomaly in stored[end:])


def test_a_lasting_shift_after_a_surge_alerts_once_at_its_onset(empty_db):
    db = empty_db
    surge, shift = 24 * 24 + 9, 33 * 24 + 15
    factors = {h: 2.0 for h in range(surge, surge + 20)} | {h: 2.0 for h in range(shift, HOURS)}
    db.execute(INSERT, (START, series(factors)))
    runs = flagged_runs(verdicts(db))
    assert [run[0] for run in runs] == [surge, shift]
    assert runs[0][1] < surge + 20
    # The baseline follows the new level within about half a day.
    assert runs[1][1] < shift + 14


def test_a_spike_after_a_surge_is_flagged_in_its_first_bucket(empty_db):
    db = empty_db
    spike = SURGE + 24  # 09:00 the next day, while the day level still holds the surge
    factors = {h: 2.0 for h in range(SURGE, SURGE + 20)} | {spike: 3.0}
    db.execute(INSERT, (START, series(factors)))
    runs = flagged_runs(verdicts(db))
    assert [run[0] for run in runs] == [SURGE, spike]
    assert runs[1] == (spike, spike)
