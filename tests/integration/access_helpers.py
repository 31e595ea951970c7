"""Shared by the access tests: clean tables, keys made the way `sentinel keys create` makes them."""

import asyncio
from pathlib import Path

import psycopg

from sentinel.keys import Scope, create_key
from sentinel.queries import Queries

DATA = Path(__file__).parents[1] / "data"
CUR_PARQUET = DATA / "cur_oct2018_300.snappy.parquet"
FOCUS_CSV = DATA / "focus_sample_300.csv"
PROBLEM = "application/problem+json"
OCTETS = {"content-type": "application/octet-stream"}


def truncate_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "truncate sentinel_data.billing_record, sentinel_data.billing_import,"
            " sentinel_data.api_key restart identity"
        )


def make_key(url: str, name: str, scope: Scope) -> str:
    async def create() -> str:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            created = await create_key(conn, Queries(), name=name, scope=scope)
            assert created is not None
            return created.token

    return asyncio.run(create())


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def problem_of(response, status: int) -> dict:
    """The problem body of a response with this status, with errors[] naming a field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["detail"]
    assert body["errors"]
    assert all(error["field"] for error in body["errors"])
    return body


def scalar(url: str, query: str, params: dict | None = None):
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]
