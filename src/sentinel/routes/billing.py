"""The billing endpoints of the original Sentinel contract: parse, one query, respond."""

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, Parameter, PathParameter
from litestar.response import Stream
from psycopg import AsyncConnection

from sentinel.errors import (
    ERROR_RESPONSES,
    JSON_BODY_RESPONSES,
    NOT_FOUND_RESPONSE,
    invalid_query,
)
from sentinel.importers.base import EXPORT_ACCOUNT_ID_MAX
from sentinel.limits import DETECTION, TimedPool
from sentinel.openapi import OverlappingAlternatives
from sentinel.queries import Queries
from sentinel.routes.detectors import DETECTION_HELP, DETECTOR_QUERY, DetectorQuery
from sentinel.routes.ids import BIGINT_MAX, INTEGER_PATTERN, as_id, text_filter
from sentinel.routes.lifecycle import deletion_range, refuse_seed_unless_allowed
from sentinel.routes.links import link_to
from sentinel.schemas import (
    REGION_MAX,
    SERVICE_MAX,
    Anomaly,
    AnomalyEvent,
    BillingBatchIn,
    BillingRecord,
    BillingRecordIn,
    DeletedRecords,
    DetectedAnomaly,
    DetectorDefaults,
    ScoredBillingRecord,
    SeedResult,
    ServiceCost,
    as_utc,
)
from sentinel.seed import store_mock_records
from sentinel.settings import Settings

logger = logging.getLogger("sentinel.routes")

Connection = NamedDependency[AsyncConnection]
Pool = NamedDependency[TimedPool]
QueryFiles = NamedDependency[Queries]
AppSettings = NamedDependency[Settings]
# What each route needs (sentinel.auth) and the body it reads (sentinel.forgery).
READ = {"scope": "read"}
WRITE_JSON = {"scope": "write", "body": "json"}
ADMIN = {"scope": "admin", "body": "none"}

LIST_LIMIT_MAX = 10_000


def prefers_minimal(prefer: str | None) -> bool:
    """Whether a Prefer header (RFC 7240) asks for return=minimal."""
    if not prefer:
        return False
    preferences = (part.split(";")[0].strip().lower() for part in prefer.split(","))
    return "return=minimal" in {p.replace(" ", "") for p in preferences}


def query_time(key: str, value: datetime | None) -> datetime | None:
    """A time from the query string, read as a record's timestamp is (schemas.as_utc): query
    parameters are parsed by Litestar, not pydantic, so the rule is applied here."""
    if value is None:
        return None
    try:
        return as_utc(value)
    except ValueError as exc:
        raise invalid_query(key, str(exc)) from None


async def _open_stream(
    pool: TimedPool, pages: Callable[[AsyncConnection], AsyncIterator[list[dict[str, Any]]]]
) -> AsyncIterator[bytes]:
    """A JSON array written page by page: memory stays flat however many rows there are, and
    no row is validated on the way out (the SQL's columns are the response's fields).

    The connection is taken here, not from the request's dependency, because the body is
    sent after the handler has returned. The handler awaits the first chunk before it answers
    (`_started`), so that the query has run and its first page is in hand before the status
    is sent: a failure until then is an ordinary problem+json answer. One after it (the
    database going away mid-stream) can no longer change the status: it is logged and the
    generator raises, so that the server closes the connection without the closing bracket
    and no client mistakes a cut list for a complete one (README, "Streamed lists").
    """
    async with pool.connection() as conn:
        rows = pages(conn)
        first = await anext(rows, [])
        yield b"[" + msgspec.json.encode(first)[1:-1]
        try:
            async for page in rows:
                yield b"," + msgspec.json.encode(page)[1:-1]
        except Exception:
            logger.exception("the streamed list failed after its 200; closing the connection")
            raise
    yield b"]"


async def _json_stream(
    pool: TimedPool, pages: Callable[[AsyncConnection], AsyncIterator[list[dict[str, Any]]]]
) -> Stream:
    """The rows of `pages` as a streamed JSON array, its query already answered."""
    return Stream(await _started(_open_stream(pool, pages)), media_type=MediaType.JSON)


async def _started(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` with its first chunk already produced (see _open_list)."""
    first = await anext(chunks)

    async def stream() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return stream()


async def refresh_baselines(pool: TimedPool, queries: Queries) -> None:
    """Bring the stored baselines up to date before a detection query, in a transaction of its
    own so that the refreshed rows are locked no longer than the refresh itself. Without it the
    answers would be the same (stale services are computed in full), only slower."""
    async with pool.connection() as conn:
        await queries.refresh_baselines(conn)


class BillingController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]

    @post(
        "/",
        status_code=201,
        summary="Store one billing record",
        responses={**ERROR_RESPONSES, **JSON_BODY_RESPONSES},
        opt=WRITE_JSON,
    )
    async def create_record(
        self, data: JSONBody[BillingRecordIn], conn: Connection, queries: QueryFiles
    ) -> ScoredBillingRecord:
        # Through the batch statement, so single and batch records get the same verdict.
        [stored] = await queries.insert_billing_records_scored(conn, records=[data.model_dump()])
        return stored

    @post(
        "/batch",
        status_code=201,
        responses={**ERROR_RESPONSES, **JSON_BODY_RESPONSES},
        opt=WRITE_JSON,
        summary="Store many billing records, all or none",
        description="Returns the stored records, in input order, each with its ingest verdict. "
        "With `Prefer: return=minimal` (RFC 7240) nothing is echoed: 201 with an empty body "
        "and `Preference-Applied: return=minimal`, the fastest way to load many records.",
    )
    async def create_batch(
        self,
        data: JSONBody[BillingBatchIn],
        conn: Connection,
        queries: QueryFiles,
        prefer: Annotated[str | None, HeaderParameter(name="prefer", required=False)] = None,
    ) -> Response[list[ScoredBillingRecord] | bytes]:
        if prefers_minimal(prefer):
            count = await queries.copy_new_billing_records(conn, records=data.records)
            headers = {"Preference-Applied": "return=minimal", "X-Records-Created": str(count)}
            return Response(b"", status_code=201, headers=headers)
        return Response(await queries.insert_billing_records_scored(conn, records=data.records))

    @post(
        "/seed",
        status_code=201,
        summary="Generate mock AWS billing data",
        description="Refused (403) while API keys are required unless SENTINEL_ALLOW_SEED=true, "
        "and (409) on a database holding imported records unless `force=true`.",
        responses=ERROR_RESPONSES,
        opt=ADMIN,
    )
    async def seed(
        self,
        conn: Connection,
        queries: QueryFiles,
        settings: AppSettings,
        days: Annotated[int, Parameter(ge=1, le=365, description="Days of hourly data")] = 30,
        force: Annotated[
            bool, Parameter(description="Seed even though imported records are stored")
        ] = False,
    ) -> SeedResult:
        await refuse_seed_unless_allowed(conn, queries, settings, force=force)
        count = await store_mock_records(conn, queries, days=days)
        return SeedResult(
            message=f"Seeded {count} billing records over {days} days", records_created=count
        )

    @get(
        "/",
        summary="List billing records",
        description="Without `limit` the whole list is streamed as one JSON array. With `limit`, "
        'one page; when more may follow, a `Link: <...>; rel="next"` header gives the next '
        "page's URL (keyset pagination on id with `after_id`).",
        responses={
            200: ResponseSpec(list[BillingRecord], description="Records, by id"),
            **ERROR_RESPONSES,
        },
        opt=READ,
    )
    async def list_records(
        self,
        request: Request,
        pool: Pool,
        queries: QueryFiles,
        settings: AppSettings,
        service: Annotated[str | None, text_filter(SERVICE_MAX)] = None,
        region: Annotated[str | None, text_filter(REGION_MAX)] = None,
        account_id: Annotated[str | None, text_filter(EXPORT_ACCOUNT_ID_MAX)] = None,
        start: Annotated[
            datetime | None, Parameter(description="Only records at or after this time")
        ] = None,
        end: Annotated[
            datetime | None, Parameter(description="Only records before this time")
        ] = None,
        after_id: Annotated[
            int | None, Parameter(ge=0, le=BIGINT_MAX, description="Records after this id")
        ] = None,
        limit: Annotated[int | None, Parameter(ge=1, le=LIST_LIMIT_MAX)] = None,
    ) -> Response[bytes]:
        filters = {
            "service": service,
            "region": region,
            "account_id": account_id,
            "start": query_time("start", start),
            "end": query_time("end", end),
            "after_id": after_id,
        }
        if limit is None:
            return await _json_stream(
                pool, lambda conn: queries.list_billing_records(conn, **filters)
            )
        async with pool.connection() as conn:
            rows = [
                row
                async for page in queries.list_billing_records(conn, **filters, limit=limit)
                for row in page
            ]
        headers = {}
        if len(rows) == limit:
            next_page = {**request.query_params.dict(), "after_id": [str(rows[-1]["id"])]}
            headers["Link"] = f'<{link_to(request, settings.public_url, next_page)}>; rel="next"'
        return Response(msgspec.json.encode(rows), media_type=MediaType.JSON, headers=headers)

    @delete(
        "/",
        status_code=200,
        opt=ADMIN,
        summary="Delete one service's records in a time range [start, end)",
        description="`service`, `start` and `end` are all required (422 naming each missing "
        "one). Deletes whatever stored the records (the API, imports, the seed); answers with "
        "the count.",
        responses=ERROR_RESPONSES,
    )
    async def delete_records(
        self,
        conn: Connection,
        queries: QueryFiles,
        service: Annotated[str | None, Parameter(description="Required: the service")] = None,
        start: Annotated[
            datetime | None, Parameter(description="Required: from this time, inclusive")
        ] = None,
        end: Annotated[
            datetime | None, Parameter(description="Required: to this time, exclusive")
        ] = None,
    ) -> DeletedRecords:
        service, start, end = deletion_range(service, start, end)
        return await queries.delete_billing_records(conn, service=service, start=start, end=end)

    @get("/summary", summary="Total cost per service", responses=ERROR_RESPONSES, opt=READ)
    async def summary(self, conn: Connection, queries: QueryFiles) -> list[ServiceCost]:
        return await queries.summarize_costs(conn)

    @get(
        "/anomalies",
        summary="Anomalies: the original z-score rule, or a causal detector with ?method=",
        description=DETECTION_HELP,
        dependencies=DETECTOR_QUERY,
        responses={
            200: ResponseSpec(
                list[Anomaly] | list[DetectedAnomaly],  # type: ignore[arg-type]
                description="The flagged records (original rule) or points (a detector), "
                "largest |score| first",
            ),
            **ERROR_RESPONSES,
        },
        opt={**READ, "timeout": DETECTION},
        operation_class=OverlappingAlternatives,
    )
    async def anomalies(
        self, pool: Pool, queries: QueryFiles, detector: NamedDependency[DetectorQuery]
    ) -> Stream:
        # The connection is taken once the parameters are known to be valid: a dependency
        # that fails while a pooled connection is being handed out leaks it. Rows stream
        # from the cursor: a low threshold flags thousands (README, "Streamed lists").
        if not detector.asks_for_a_detector():
            # The original rule, unchanged, for existing clients.
            threshold = detector.threshold
            return await _json_stream(
                pool, lambda conn: queries.find_anomalies(conn, threshold=threshold)
            )
        params = detector.params()
        await refresh_baselines(pool, queries)
        return await _json_stream(
            pool, lambda conn: queries.find_detected_anomalies(conn, params=params)
        )

    @get(
        "/anomalies/events",
        summary="Anomaly events: consecutive flagged points of one series, alerted once",
        description=DETECTION_HELP,
        dependencies=DETECTOR_QUERY,
        responses=ERROR_RESPONSES,
        opt={**READ, "timeout": DETECTION},
    )
    async def anomaly_events(
        self, pool: Pool, queries: QueryFiles, detector: NamedDependency[DetectorQuery]
    ) -> list[AnomalyEvent]:
        params = detector.params()
        await refresh_baselines(pool, queries)
        async with pool.connection() as conn:
            return await queries.find_anomaly_events(conn, params=params)

    @get(
        "/detectors",
        summary="The detectors' defaults: each method's window, threshold and minimum history",
        description="What the anomaly endpoints use for a parameter left out (the psql view "
        "sentinel.detector_defaults). zscore is the original rule, ingest the verdict returned "
        "with every stored record.",
    )
    async def detector_defaults(
        self, conn: Connection, queries: QueryFiles
    ) -> list[DetectorDefaults]:
        return await queries.list_detector_defaults(conn)

    @get(
        "/{id:str}",
        summary="One billing record by id",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
        opt=READ,
    )
    async def get_record(
        self,
        # A string with an integer's pattern rather than an int, so that "abc" is a 422 naming
        # the field (as the original answered), not a 404 for an unknown route.
        id: Annotated[
            str, PathParameter(pattern=INTEGER_PATTERN, description="The record's id, an integer")
        ],
        conn: Connection,
        queries: QueryFiles,
    ) -> BillingRecord:
        record = None
        if (record_id := as_id(id)) is not None:
            record = await queries.get_billing_record(conn, record_id=record_id)
        if record is None:
            raise NotFoundException(detail="Billing Record not found")
        return record
