"""The `sentinel` command against the session's database (DATABASE_URL set, no embedded server)."""

import os
from pathlib import Path

import psycopg
import pytest

from sentinel.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> pytest.MonkeyPatch:
    """Only DATABASE_URL configures the command; no .env file, a wide console."""
    for name in list(os.environ):
        if name == "DATABASE_URL" or name.startswith("SENTINEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.fixture
def empty_table(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate sentinel_data.billing_record restart identity")
    return database_url


def count(url: str, query: str = "select count(*) from sentinel.billing_records") -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_seed_one_day(env, empty_table: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed", "--days", "1"]) == 0

    assert count(empty_table) == 6 * 24
    assert (
        3
        <= count(empty_table, "select count(*) from sentinel.billing_records where is_anomaly")
        <= 5
    )
    assert "seeded 144 billing records over 1 days" in capsys.readouterr().out


def test_anomalies_prints_a_table(env, empty_table: str, capsys) -> None:
    with psycopg.connect(empty_table, autocommit=True) as conn:
        conn.execute(
            "insert into sentinel_data.billing_record"
            ' (service, cost, "timestamp", region, account_id) values'
            " ('Pair', 1, '2024-03-01 10:00+00', 'us-east-1', '111'),"
            " ('Pair', 3, '2024-03-01 11:00+00', 'eu-west-1', '222'),"
            " ('Lonely', 99, '2024-03-01 12:00+00', 'us-east-1', '333')"
        )

    assert main(["anomalies", "--threshold", "0", "--format", "table"]) == 0

    out = capsys.readouterr().out
    assert "2 anomalies, |z| > 0" in out
    for header in ("id", "service", "cost", "timestamp", "region", "account", "z"):
        assert header in out
    lines = out.splitlines()
    low = next(line for line in lines if "111" in line)
    high = next(line for line in lines if "222" in line)
    assert "1.0000" in low
    assert "-1.000" in low
    assert "2024-03-01 10:00" in low
    assert "3.0000" in high
    assert "1.000" in high
    assert "-1.000" not in high
    assert "Lonely" not in out


def test_anomalies_threshold_is_strict(env, empty_table: str, capsys) -> None:
    with psycopg.connect(empty_table, autocommit=True) as conn:
        conn.execute(
            "insert into sentinel_data.billing_record"
            ' (service, cost, "timestamp", region, account_id) values'
            " ('Pair', 1, now(), 'r', 'a'), ('Pair', 3, now(), 'r', 'a')"
        )

    assert main(["anomalies", "--threshold", "1", "--format", "table"]) == 0

    assert "0 anomalies, |z| > 1" in capsys.readouterr().out


def test_migrate_is_up_to_date(env, capsys) -> None:
    assert main(["migrate"]) == 0

    assert "applied 0 migration(s): up to date" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["seed", "--days", "0"], "days must be between 1 and 365"),
        (["seed", "--days", "366"], "days must be between 1 and 365"),
        (["seed", "--days", "many"], "invalid _days value"),
        (["anomalies", "--threshold", "-1"], "threshold must be a number >= 0"),
        (["anomalies", "--threshold", "nan"], "threshold must be a number >= 0"),
        ([], "required: command"),
        (["explode"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_with_usage_error(env, capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)

    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_arguments_touch_nothing(env, empty_table: str) -> None:
    with pytest.raises(SystemExit):
        main(["seed", "--days", "0"])

    assert count(empty_table) == 0


def test_bad_configuration_is_reported(env, capsys) -> None:
    env.setenv("SENTINEL_PORT", "0")

    assert main(["migrate"]) == 2
    assert "invalid configuration" in capsys.readouterr().err


def test_seed_on_an_unmigrated_database_says_migrate(env, new_database, capsys) -> None:
    env.setenv("DATABASE_URL", new_database())

    assert main(["seed", "--days", "1"]) == 1
    assert "run `sentinel migrate`" in capsys.readouterr().err


def test_anomalies_on_an_unmigrated_database_says_migrate(env, new_database, capsys) -> None:
    env.setenv("DATABASE_URL", new_database())

    assert main(["anomalies"]) == 1
    assert "run `sentinel migrate`" in capsys.readouterr().err


def test_unreachable_database_is_reported(env, capsys) -> None:
    env.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2")

    assert main(["anomalies"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.strip()
    assert not captured.out


def test_migrate_as_a_user_who_may_not_create_roles_says_so(env, new_database, capsys):
    from urllib.parse import urlsplit

    from psycopg import sql

    url = new_database()
    role = "sentinel_test_limited"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
        database = conn.info.dbname
        conn.execute(
            sql.SQL("grant create on database {} to {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )
        conn.execute(sql.SQL("grant create on schema public to {}").format(sql.Identifier(role)))
    parts = urlsplit(url)
    netloc = parts.netloc.split("@")[-1]
    env.setenv("DATABASE_URL", parts._replace(netloc=f"{role}@{netloc}").geturl())
    try:
        assert main(["migrate"]) == 1
        out = " ".join(capsys.readouterr().err.split())
        assert "the database user may not do this" in out
        assert "Traceback" not in out
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def no_imports(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "truncate sentinel_data.billing_record, sentinel_data.billing_import restart identity"
        )
    return database_url


def test_import_stores_the_files_then_refreshes_the_baselines(env, no_imports: str, capsys):
    files = [str(DATA / "cur_legacy_oct2018_300.csv"), str(DATA / "focus_sample_300.csv")]

    assert main(["import", *files]) == 0

    out = capsys.readouterr().out
    assert "cur_legacy_oct2018_300.csv: aws-cur-csv, imported, 300 rows" in out
    assert "imported 2 file(s): 600 rows stored, 0 replaced, 0 unchanged" in out
    services = count(
        no_imports, "select count(distinct service) from sentinel.service_hourly_costs"
    )
    assert f"refreshed the stored baselines of {services} service(s)" in out
    assert count(no_imports) == 600
    # Nothing is left for the first detection call to refresh.
    assert count(no_imports, "select count(*) from sentinel.stale_baselines") == 0

    # The same files again: nothing stored, nothing to refresh.
    assert main(["import", *files]) == 0
    out = capsys.readouterr().out
    assert "0 rows stored, 0 replaced, 2 unchanged" in out
    assert "refreshed" not in out


def test_import_refuses_a_bad_file_and_stores_nothing_from_it(env, no_imports, tmp_path, capsys):
    lines = (DATA / "focus_sample_300.csv").read_text().splitlines()
    header = lines[0].split(",")
    cost = header.index('"BilledCost"')
    cells = lines[5].split(",")
    cells[cost] = "lots"
    lines[5] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")

    assert main(["import", str(bad)]) == 1

    out = capsys.readouterr().err
    assert "refused:" in out
    assert "bad.csv, line 6, column BilledCost" in out
    assert "nothing from bad.csv was stored" in out
    assert count(no_imports) == 0
