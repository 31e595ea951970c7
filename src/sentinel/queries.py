"""Typed wrappers, one per file in sql/queries/. Keyword arguments only."""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from pydantic import BaseModel

from sentinel.db import QueryFileError, load_queries, resource_dir
from sentinel.schemas import Anomaly, BillingRecord, BillingRecordIn, ServiceCost

Row = TypeVar("Row", bound=BaseModel)


class Queries:
    """The SQL of sql/queries/, loaded once; a missing or malformed file fails here, by name."""

    def __init__(self, directory: Path | None = None) -> None:
        self._sql = load_queries(directory or resource_dir("sql") / "queries")
        wrappers = {name for name in vars(Queries) if not name.startswith("_")}
        if missing := sorted(wrappers - self._sql.keys()):
            raise QueryFileError(f"missing query files: {', '.join(m + '.sql' for m in missing)}")

    async def _all(
        self, conn: AsyncConnection, name: str, row: type[Row], params: dict[str, Any]
    ) -> list[Row]:
        async with conn.cursor(row_factory=class_row(row)) as cur:
            await cur.execute(self._sql[name], params)
            return await cur.fetchall()

    async def _one(
        self, conn: AsyncConnection, name: str, row: type[Row], params: dict[str, Any]
    ) -> Row | None:
        async with conn.cursor(row_factory=class_row(row)) as cur:
            await cur.execute(self._sql[name], params)
            return await cur.fetchone()

    async def insert_billing_record(
        self, conn: AsyncConnection, *, record: BillingRecordIn
    ) -> BillingRecord:
        stored = await self._one(conn, "insert_billing_record", BillingRecord, record.model_dump())
        assert stored is not None  # insert ... returning always yields the row
        return stored

    async def insert_billing_records(
        self, conn: AsyncConnection, *, records: Sequence[BillingRecordIn]
    ) -> list[BillingRecord]:
        params = {
            "services": [r.service for r in records],
            "costs": [r.cost for r in records],
            "timestamps": [r.timestamp for r in records],
            "regions": [r.region for r in records],
            "account_ids": [r.account_id for r in records],
            "is_anomalies": [r.is_anomaly for r in records],
        }
        return await self._all(conn, "insert_billing_records", BillingRecord, params)

    async def list_billing_records(
        self,
        conn: AsyncConnection,
        *,
        service: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        after_id: int | None = None,
        limit: int | None = None,
        page_size: int = 5000,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of rows shaped like BillingRecord, read through a server-side cursor.

        Plain dicts rather than models: a full listing can be millions of rows, streamed
        straight to JSON, and validating each would only cost time.
        """
        params = {
            "service": service,
            "region": region,
            "account_id": account_id,
            "start": start,
            "end": end,
            "after_id": after_id,
            "limit": limit,
        }
        async with conn.cursor("list_billing_records", row_factory=dict_row) as cur:
            await cur.execute(self._sql["list_billing_records"], params)
            while page := await cur.fetchmany(page_size):
                yield page

    async def get_billing_record(
        self, conn: AsyncConnection, *, record_id: int
    ) -> BillingRecord | None:
        return await self._one(conn, "get_billing_record", BillingRecord, {"id": record_id})

    async def summarize_costs(self, conn: AsyncConnection) -> list[ServiceCost]:
        return await self._all(conn, "summarize_costs", ServiceCost, {})

    async def find_anomalies(self, conn: AsyncConnection, *, threshold: float) -> list[Anomaly]:
        return await self._all(conn, "find_anomalies", Anomaly, {"threshold": threshold})
