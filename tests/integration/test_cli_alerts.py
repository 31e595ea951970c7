"""`sentinel monitors`, `sentinel alerts` and `sentinel anomalies --method` against the session's
database: the same rows and messages as the REST API, full rows when piped, and bad values
refused in one line before anything is stored."""

import csv
import getpass
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from sentinel.cli import main
from tests.integration.alert_data import (
    HISTORY,
    evaluate,
    extra,
    hour,
    regular_history,
    regular_records,
    reset,
    store,
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> pytest.MonkeyPatch:
    """Only DATABASE_URL configures the command; stdout is captured, so not a terminal."""
    for name in list(os.environ):
        if name in ("DATABASE_URL", "FORCE_COLOR", "TTY_COMPATIBLE") or name.startswith(
            "SENTINEL_"
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with regular_history(database_url) as conn:
        yield conn


@pytest.fixture
def spike(conn: psycopg.Connection) -> psycopg.Connection:
    """An extra $20 of EC2 in the hour after the history, not evaluated yet."""
    store(conn, regular_records("EC2", range(HISTORY, HISTORY + 1)))
    store(conn, extra("EC2", range(HISTORY, HISTORY + 1), 20.0))
    return conn


def tsv(out: str) -> list[dict[str, str]]:
    """Rows of a piped listing by header; every row has every column."""
    lines = out.splitlines()
    header = lines[0].split("\t")
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == len(header) for row in rows), out
    return [dict(zip(header, row, strict=True)) for row in rows]


def rows_of(conn: psycopg.Connection, query: str, params: tuple = ()) -> list[tuple]:
    conn.rollback()  # a fresh snapshot: the command committed on its own connection
    return conn.execute(query, params).fetchall()


# monitors


def test_monitors_create_list_delete(env, conn, capsys) -> None:
    argv = ["monitors", "create", "ec2 regions", "--method", "trailing", "--group-by"]
    argv += ["service,region", "--window", "3d", "--threshold", "2.5", "--min-impact", "5"]
    argv += ["--direction", "both", "--service", "EC2", "--service", "S3"]
    assert main(argv) == 0

    out = capsys.readouterr().out
    [(monitor_id, *stored)] = rows_of(
        conn,
        "select id, method, group_by, baseline, threshold, min_impact, min_pct, direction,"
        " filter, enabled from sentinel_data.monitor where name = 'ec2 regions'",
    )
    assert stored == [
        "trailing",
        ["service", "region"],
        timedelta(days=3),
        2.5,
        5.0,
        None,
        "both",
        {"service": ["EC2", "S3"]},
        True,
    ]
    assert out.startswith(f"created monitor {monitor_id} ('ec2 regions', trailing, hour,")
    assert "service=EC2,S3" in out

    assert main(["monitors", "create", "ec2 regions"]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "a monitor named 'ec2 regions' exists"
    assert not captured.out

    assert main(["monitors", "list"]) == 0
    listed = {row["name"]: row for row in tsv(capsys.readouterr().out)}
    assert set(listed) == {"all services", "ec2 regions"}
    assert listed["ec2 regions"] == {
        "id": str(monitor_id),
        "name": "ec2 regions",
        "method": "trailing",
        "granularity": "hour",
        "group by": "service,region",
        "window": "3d",
        "threshold": "2.5",
        "min impact": "5",
        "min %": "",
        "direction": "both",
        "filter": "service=EC2,S3",
        "enabled": "yes",
    }
    # Left out: the recommended defaults, as the view fills them in.
    [(method, window, threshold)] = rows_of(
        conn,
        "select detector, baseline_window, threshold from sentinel.detector_defaults"
        " where recommended",
    )
    default = listed["all services"]
    assert (default["method"], default["threshold"]) == (method, f"{threshold:g}")
    assert default["window"] == f"{window.days}d"

    assert main(["monitors", "delete", str(monitor_id)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"deleted monitor {monitor_id} 'ec2 regions' with its alerts"
    )
    assert rows_of(conn, "select id from sentinel.monitors where id = %s", (monitor_id,)) == []
    assert main(["monitors", "delete", str(monitor_id)]) == 1
    assert capsys.readouterr().err.strip() == f"no monitor {monitor_id}"


def test_monitors_create_with_tags(env, conn, capsys) -> None:
    argv = ["monitors", "create", "data team", "--tag", "team=data", "--tag", "team=web"]
    assert main([*argv, "--tag", "env=prod"]) == 0
    assert "tag:env=prod tag:team=data,web" in capsys.readouterr().out
    assert rows_of(conn, "select filter from sentinel_data.monitor where name = 'data team'") == [
        ({"tags": {"team": ["data", "web"], "env": ["prod"]}},)
    ]
    assert main(["monitors", "list"]) == 0
    listed = {row["name"]: row for row in tsv(capsys.readouterr().out)}
    assert listed["data team"]["filter"] == "tag:env=prod tag:team=data,web"
    assert main(["monitors", "create", "bad", "--tag", "team"]) == 2
    assert capsys.readouterr().err.strip() == "error: --tag: expected KEY=VALUE, not 'team'"
    assert main(["monitors", "create", "bad", "--tag", "=data"]) == 2
    assert capsys.readouterr().err.startswith("error: --tag: String should have at least 1")


@pytest.mark.parametrize(
    ("options", "body", "message"),
    [
        (["--threshold", "-1"], {"threshold": -1}, "--threshold: Input should be greater than"),
        (["--threshold", "nan"], {}, "--threshold: Input should be a finite number"),
        (["--method", "zscore"], {"method": "zscore"}, "--method: Input should be 'seasonal',"),
        (["--window", "7x"], {"window": "7x"}, "--window: expected a number followed by h, d or w"),
        (["--group-by", "service,team"], {"group_by": ["service", "team"]}, "--group-by: Input"),
        (["--direction", "sideways"], {"direction": "sideways"}, "--direction: Input should be"),
        (["--service", ""], {"filter": {"service": [""]}}, "--service: String should have"),
        (["--granularity", "record"], {"granularity": "record"}, "--granularity: Input should"),
    ],
)
def test_a_bad_monitor_is_one_line_as_the_api_says_it_and_stores_nothing(
    env, conn, app_client, capsys, options: list[str], body: dict, message: str
) -> None:
    assert main(["monitors", "create", "bad", *options]) == 2

    captured = capsys.readouterr()
    assert not captured.out
    [line] = captured.err.splitlines()
    assert line.startswith(f"error: {message}")
    assert rows_of(conn, "select count(*) from sentinel.monitors") == [(1,)]
    if body:  # the API refuses the same body with the same words
        response = app_client.post("/api/v1/monitors", json={"name": "bad", **body})
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert line.endswith(error["message"].removeprefix("Value error, "))


# alerts


def test_alerts_after_a_spike_evaluate_list_show(env, spike, capsys) -> None:
    assert main(["alerts"]) == 0
    assert tsv(capsys.readouterr().out) == []  # a header line only: nothing evaluated yet

    assert main(["alerts", "evaluate"]) == 0
    out = capsys.readouterr().out
    first, *listing = out.splitlines()
    assert first == "evaluated the monitors: 1 alert(s) changed"
    [changed] = tsv("\n".join(listing))
    assert (changed["change"], changed["service"], changed["status"]) == ("opened", "EC2", "open")
    assert changed["started"] == hour(HISTORY).strftime("%Y-%m-%d %H:%M")

    # Once more over the same data: nothing changes.
    assert main(["alerts", "evaluate"]) == 0
    assert capsys.readouterr().out == "evaluated the monitors: 0 alert(s) changed\n"

    assert main(["alerts", "--status", "open"]) == 0
    [alert] = tsv(capsys.readouterr().out)
    assert alert["id"] == changed["id"]
    assert (alert["monitor"], alert["service"], alert["buckets"]) == ("all services", "EC2", "1")
    assert 19 < float(alert["impact"]) < 21
    assert alert["top root cause"].startswith(("account_id=222222222222 +", "region=us-east-1 +"))
    assert alert["feedback"] == ""
    assert main(["alerts", "--status", "closed"]) == 0
    assert tsv(capsys.readouterr().out) == []
    assert main(["alerts", "--monitor", "999"]) == 0
    assert tsv(capsys.readouterr().out) == []

    assert main(["alerts", "--format", "json"]) == 0
    [as_json] = json.loads(capsys.readouterr().out)
    assert as_json["id"] == int(alert["id"])
    assert as_json["root_causes"][0]["contribution"] > 19

    assert main(["alerts", "show", alert["id"]]) == 0
    causes = tsv(capsys.readouterr().out)
    assert {(c["dimension"], c["value"]) for c in causes[:2]} == {
        ("account_id", "222222222222"),
        ("region", "us-east-1"),
    }
    assert 19 < float(causes[0]["contribution"]) < 21
    assert main(["alerts", "show", "999"]) == 1
    assert capsys.readouterr().err.strip() == "no alert 999"


def test_feedback_is_stored_with_the_os_user_and_closes_the_alert(env, spike, capsys) -> None:
    assert evaluate(spike) == 1
    [(alert_id,)] = rows_of(spike, "select id from sentinel.alerts")

    assert main(["alerts", "feedback", str(alert_id), "planned", "--note", "load test"]) == 0

    out = capsys.readouterr().out
    author = f"cli:{getpass.getuser()}"
    assert out.startswith(f"alert {alert_id} rated planned by {author}; it is closed")
    assert "quiet until" in out
    assert rows_of(
        spike, "select alert_id, verdict, note, key_name from sentinel.alert_feedback"
    ) == [(alert_id, "planned", "load test", author)]
    assert rows_of(spike, "select status, feedback from sentinel.alerts") == [("closed", "planned")]
    assert main(["alerts"]) == 0
    [listed] = tsv(capsys.readouterr().out)
    assert listed["feedback"] == "planned"


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["alerts", "feedback", "1", "maybe"], 2, "error: VERDICT: Input should be 'yes', 'no'"),
        (["alerts", "feedback", "1", "no", "--note", "x" * 2001], 2, "error: --note: String"),
        (["alerts", "feedback", "999", "yes"], 1, "no alert 999"),
    ],
)
def test_bad_feedback_is_one_line_and_stores_nothing(
    env, spike, capsys, argv: list[str], status: int, message: str
) -> None:
    assert evaluate(spike) == 1

    assert main(argv) == status

    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith(message)
    assert not captured.out
    assert rows_of(spike, "select count(*) from sentinel.alert_feedback") == [(0,)]
    assert rows_of(spike, "select status from sentinel.alerts") == [("open",)]


# anomalies


def test_anomalies_seasonal_gives_the_rows_of_the_rest_endpoint(env, spike, app_client, capsys):
    client = app_client  # not `client`: that one empties the billing table
    assert main(["anomalies", "--method", "seasonal"]) == 0

    rows = tsv(capsys.readouterr().out)
    api = client.get("/api/v1/billing/anomalies", params={"method": "seasonal"}).json()
    assert [(r["service"], r["bucket"], float(r["score"])) for r in rows] == [
        (a["service"], a["bucket"][:16].replace("T", " "), a["z_score"]) for a in api
    ]
    spiked = next(r for r in rows if r["bucket"] == hour(HISTORY).strftime("%Y-%m-%d %H:%M"))
    assert spiked["service"] == "EC2"
    assert 19 < float(spiked["impact"]) < 21
    assert float(spiked["cost"]) > float(spiked["upper"]) > float(spiked["expected"])

    # The title names what ran, the defaults read from sentinel.detector_defaults.
    defaults = rows_of(
        spike,
        "select baseline_window, threshold, direction, min_impact, min_daily_pct"
        " from sentinel.detector_defaults where detector = 'seasonal'",
    )
    [(window, threshold, direction, min_impact, min_daily_pct)] = defaults
    assert main(["anomalies", "--method", "seasonal", "--format", "table"]) == 0
    title = capsys.readouterr().out.replace("\n", " ")
    assert (
        f"{len(rows)} anomalies, seasonal, hour, by service, window {window.days}d, "
        f"{direction}, score beyond {threshold:g}, impact >= ${min_impact:g}"
    ) in title
    assert min_daily_pct > 0


def test_anomalies_detector_options_and_events(env, spike, app_client, capsys) -> None:
    client = app_client
    argv = ["anomalies", "--method", "trailing", "--window", "3d", "--direction", "up"]
    argv += ["--group-by", "service", "--group-by", "region", "--min-impact", "10"]
    assert main(argv) == 0
    rows = tsv(capsys.readouterr().out)
    params = {
        "method": "trailing",
        "window": "3d",
        "direction": "up",
        "group_by": "service,region",
        "min_impact": 10,
    }
    api = client.get("/api/v1/billing/anomalies", params=params).json()
    assert [(r["service"], r["region"], float(r["score"])) for r in rows] == [
        (a["service"], a["region"], a["z_score"]) for a in api
    ]
    assert ("EC2", "us-east-1") in {(r["service"], r["region"]) for r in rows}
    assert all(float(r["impact"]) >= 10 for r in rows)

    assert main(["anomalies", "--method", "seasonal", "--events"]) == 0
    events = tsv(capsys.readouterr().out)
    api = client.get("/api/v1/billing/anomalies/events", params={"method": "seasonal"}).json()
    assert [(e["service"], e["points"]) for e in events] == [
        (a["service"], str(a["point_count"])) for a in api
    ]
    assert "EC2" in {e["service"] for e in events}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["anomalies", "--method", "zscore"], "error: --method: use original, trailing,"),
        (["anomalies", "--method", "original", "--window", "7d"], "error: --window: the origin"),
        (["anomalies", "--window", "0h"], "error: --window: must be between 1h and 366d"),
        (["anomalies", "--granularity", "week"], "error: --granularity: use one of record,"),
        (["anomalies", "--min-pct", "-5"], "error: --min-pct: must be a finite number >= 0"),
        (["anomalies", "--min-impact", "lots"], "error: --min-impact: not a number: 'lots'"),
        (["anomalies", "--events"], "error: --events: needs a detector (--method)"),
    ],
)
def test_bad_detector_options_are_one_line_before_any_database(
    env, capsys, argv: list[str], message: str
) -> None:
    env.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=1")

    assert main(argv) == 2

    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith(message)
    assert not captured.out


# piped output


# 120 characters: near the limit of 128, and three times a narrow terminal.
LONG_SERVICE = ("Amazon Elastic Compute Cloud - Dedicated Hosts " * 3)[:120]


@pytest.fixture
def empty(database_url: str) -> Iterator[None]:
    with psycopg.connect(database_url) as conn:
        reset(conn)
        yield
        reset(conn)


def test_piped_rows_are_whole_however_narrow_the_terminal(env, database_url, empty) -> None:
    with psycopg.connect(database_url, autocommit=True) as other:
        other.execute(
            "insert into sentinel_data.billing_record"
            ' (service, cost, "timestamp", region, account_id) values'
            " (%(s)s, 1, '2024-03-01 10:00+00', 'us-east-1', '111'),"
            " (%(s)s, 3, '2024-03-01 11:00+00', 'eu-west-1', '222')",
            {"s": LONG_SERVICE},
        )
    environ = {
        name: value
        for name, value in os.environ.items()
        if name not in ("FORCE_COLOR", "TTY_COMPATIBLE") and not name.startswith("SENTINEL_")
    }
    environ.update(DATABASE_URL=database_url, COLUMNS="40")

    piped = subprocess.run(
        [sys.executable, "-m", "sentinel", "anomalies", "--threshold", "0"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    rows = list(csv.DictReader(io.StringIO(piped.stdout), delimiter="\t"))
    assert [(r["service"], r["account"], r["cost"], r["z"]) for r in rows] == [
        (LONG_SERVICE, "111", "1.0000", "-1.000"),
        (LONG_SERVICE, "222", "3.0000", "1.000"),
    ]
    assert piped.stderr == ""
