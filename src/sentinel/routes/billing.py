"""The billing endpoints of the original Sentinel contract: parse, one query, respond."""

import random
import re
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from psycopg import AsyncConnection

from sentinel.queries import Queries
from sentinel.schemas import (
    Anomaly,
    BillingBatchIn,
    BillingRecord,
    BillingRecordIn,
    SeedResult,
    ServiceCost,
)
from sentinel.seed import generate_records

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]

BIGINT_MAX = 2**63 - 1


class BillingController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]

    @post("/", status_code=201, summary="Store one billing record")
    async def create_record(
        self, data: JSONBody[BillingRecordIn], conn: Connection, queries: QueryFiles
    ) -> BillingRecord:
        return await queries.insert_billing_record(conn, record=data)

    @post("/batch", status_code=201, summary="Store many billing records, all or none")
    async def create_batch(
        self, data: JSONBody[BillingBatchIn], conn: Connection, queries: QueryFiles
    ) -> list[BillingRecord]:
        return await queries.insert_billing_records(conn, records=data.records)

    @post("/seed", status_code=201, summary="Generate mock AWS billing data")
    async def seed(
        self,
        conn: Connection,
        queries: QueryFiles,
        days: Annotated[int, Parameter(ge=1, le=365, description="Days of hourly data")] = 30,
    ) -> SeedResult:
        records = generate_records(days=days, end=datetime.now(UTC), rng=random.Random())
        stored = await queries.insert_billing_records(conn, records=records)
        return SeedResult(
            message=f"Seeded {len(stored)} billing records over {days} days",
            records_created=len(stored),
        )

    @get("/", summary="List billing records")
    async def list_records(
        self,
        conn: Connection,
        queries: QueryFiles,
        service: FromQuery[str | None] = None,
        region: FromQuery[str | None] = None,
    ) -> list[BillingRecord]:
        return await queries.list_billing_records(conn, service=service, region=region)

    @get("/summary", summary="Total cost per service")
    async def summary(self, conn: Connection, queries: QueryFiles) -> list[ServiceCost]:
        return await queries.summarize_costs(conn)

    @get("/anomalies", summary="Records far from their service's mean (z-score)")
    async def anomalies(
        self,
        conn: Connection,
        queries: QueryFiles,
        threshold: Annotated[
            float, Parameter(ge=0, description="Flag when |z_score| is strictly above this")
        ] = 2.0,
    ) -> list[Anomaly]:
        return await queries.find_anomalies(conn, threshold=threshold)

    @get("/{id:str}", summary="One billing record by id")
    async def get_record(
        self, id: FromPath[str], conn: Connection, queries: QueryFiles
    ) -> BillingRecord:
        # Parsed here rather than by the router so that "abc" is a 422 naming the field
        # (as the original answered), not a 404 for an unknown route.
        if not re.fullmatch(r"-?[0-9]+", id):
            raise ValidationException(
                extra=[
                    {"key": "id", "message": "Input should be a valid integer", "source": "path"}
                ]
            )
        record_id = int(id)
        record = None
        if -BIGINT_MAX <= record_id <= BIGINT_MAX:
            record = await queries.get_billing_record(conn, record_id=record_id)
        if record is None:
            raise NotFoundException(detail="Billing Record not found")
        return record
