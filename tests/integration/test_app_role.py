"""`sentinel serve` as a login role in sentinel_app (migration 0016): everything the API does
works, and nothing else is allowed."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from litestar.testing import TestClient

from sentinel.app import create_app
from tests.integration.urls import as_role

from .access_helpers import CUR_PARQUET, OCTETS, bearer, truncate_all

BASE = "/api/v1/billing"
# What sentinel_app needs on schemas sentinel and sentinel_internal comes from
# sql/schema/90_privileges.sql (rebuilt with the code, so not in 0016).


@pytest.fixture(scope="module")
def app_url(database_url: str) -> Iterator[str]:
    role = f"sentinel_test_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"create role {role} login in role sentinel_app")
    yield as_role(database_url, role)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"drop owned by {role}")
        conn.execute(f"drop role {role}")


@pytest.fixture
def empty(database_url: str) -> Iterator[str]:
    truncate_all(database_url)
    yield database_url
    truncate_all(database_url)


def test_the_role_holds_no_power_beyond_its_tables(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "select rolcanlogin, rolcreaterole, rolcreatedb, rolsuper from pg_roles"
            " where rolname = 'sentinel_app'"
        ).fetchone()
    assert row == (False, False, False, False)


def test_the_api_runs_as_the_application_role(settings, app_url: str, empty: str) -> None:
    as_app = settings.model_copy(update={"database_url": app_url, "auth": "required"})
    with psycopg.connect(app_url) as conn:
        assert conn.execute("select current_user").fetchone()[0].startswith("sentinel_test_app_")
    with TestClient(create_app(as_app)) as client:
        # Keys can be made by the server's role (`sentinel keys create` in the container).
        from .access_helpers import make_key

        admin = bearer(make_key(app_url, "admin", "admin"))
        record = {
            "service": "EC2",
            "cost": 2.0,
            "timestamp": "2024-03-01T00:00:00Z",
            "region": "r",
            "account_id": "a",
        }
        assert client.post(f"{BASE}/", json=record, headers=admin).status_code == 201
        batch = client.post(
            f"{BASE}/batch",
            json={"records": [record] * 3},
            headers={**admin, "prefer": "return=minimal"},
        )
        assert batch.status_code == 201
        upload = client.post(
            f"{BASE}/import", content=CUR_PARQUET.read_bytes(), headers={**admin, **OCTETS}
        )
        assert upload.status_code == 201, upload.text
        for path in (
            f"{BASE}/",
            f"{BASE}/summary",
            f"{BASE}/anomalies",
            f"{BASE}/anomalies?method=seasonal&granularity=hour",
            f"{BASE}/anomalies/events",
            f"{BASE}/imports",
            "/api/v1/keys",
        ):
            response = client.get(path, headers=admin)
            assert response.status_code == 200, (path, response.text)
        deleted = client.delete(f"{BASE}/imports/{upload.json()['id']}", headers=admin)
        assert deleted.json()["records_deleted"] == 300
        by_range = client.delete(
            f"{BASE}/",
            params={
                "service": "EC2",
                "start": "2024-01-01T00:00:00Z",
                "end": "2025-01-01T00:00:00Z",
            },
            headers=admin,
        )
        assert by_range.json() == {"records_deleted": 4}


@pytest.mark.parametrize(
    "statement",
    [
        "create role sentinel_test_intruder",
        "truncate sentinel_data.billing_record",
        "drop table sentinel_data.api_key",
        "create table sentinel_data.extra (id int)",
        "alter table sentinel_data.billing_record add column x int",
    ],
)
def test_the_role_may_not_do_what_the_server_never_does(app_url: str, statement: str) -> None:
    with psycopg.connect(app_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_application_role_evaluates_alerts_and_sends_nothing_it_may_not(
    app_url: str, empty: str
) -> None:
    """The server's evaluator runs as this role: the refresh and the evaluation of the default
    monitor (its cached path too) and of a monitor of another shape, spike included."""
    from .alert_data import HISTORY, extra, regular_history, regular_records, store

    with regular_history(empty) as owner:
        store(owner, regular_records("EC2", range(HISTORY, HISTORY + 1)))
        store(owner, extra("EC2", range(HISTORY, HISTORY + 1), 40.0))
        owner.execute(
            "insert into sentinel_data.monitor (name, method, granularity, group_by, direction)"
            " values ('trailing by hour', 'trailing', 'hour', '{service}', 'up')"
        )
        owner.commit()
        with psycopg.connect(app_url) as conn:
            conn.execute("select sentinel.refresh_baselines()")
            conn.commit()
            assert conn.execute("select sentinel.evaluate_alerts()").fetchone()[0] == 2
            conn.commit()
            raised = conn.execute(
                "select monitor.name from sentinel.alerts as alert"
                " join sentinel.monitors as monitor on monitor.id = alert.monitor_id"
                " where alert.service = 'EC2' order by 1"
            ).fetchall()
            assert raised == [("all services",), ("trailing by hour",)]
