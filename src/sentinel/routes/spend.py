"""Spend over time, for charts: usage per series per bucket (/costs) and one service's series
as a detector judges it, every bucket with its expected band (/series). Both read the rollups
and the detectors' SQL, never the records in bulk."""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from sentinel.detection import GROUP_COLUMNS, ParameterError, parse_group_by
from sentinel.errors import ERROR_RESPONSES, invalid_query
from sentinel.importers.base import EXPORT_ACCOUNT_ID_MAX
from sentinel.limits import DETECTION, TimedPool
from sentinel.queries import Queries
from sentinel.routes.billing import READ, query_time, refresh_baselines
from sentinel.routes.detectors import DETECTION_HELP, DETECTOR_QUERY, DetectorQuery
from sentinel.routes.ids import text_filter
from sentinel.schemas import REGION_MAX, SERVICE_MAX, CostPoint, SeriesPoint

Pool = NamedDependency[TimedPool]
QueryFiles = NamedDependency[Queries]

# A chart needs no more points than this; a larger answer is a 422 asking for a narrower one,
# so that no range makes the server hold an unbounded result.
COSTS_MAX_ROWS = 100_000
# The range /series shows when none is given: a month of days, a week of hours.
SERIES_SPAN = {"day": timedelta(days=30), "hour": timedelta(days=7)}


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    start, end = query_time("start", start), query_time("end", end)
    if start is not None and end is not None and end <= start:
        raise invalid_query("end", "must be after start")
    return start, end


class SpendController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]

    @get(
        "/costs",
        summary="Usage spend per series per hour or day, from the rollups (for charts)",
        description="The summed usage cost (charge_type usage: no fees, taxes or credits) of "
        "each series (the group_by columns; those left out are null) in each bucket of "
        "[start, end). Default range: the 30 days up to the newest stored usage. At most "
        f"{COSTS_MAX_ROWS:,} points; a larger answer is a 422 naming start.",
        responses=ERROR_RESPONSES,
        opt=READ,
    )
    async def costs(
        self,
        pool: Pool,
        queries: QueryFiles,
        granularity: Annotated[
            Literal["hour", "day"], Parameter(description="Bucket size")
        ] = "day",
        group_by: Annotated[
            list[str] | None,
            Parameter(description=f"One or more of {', '.join(GROUP_COLUMNS)}; default service"),
        ] = None,
        service: Annotated[
            list[str] | None,
            Parameter(max_items=100, description="Only these services (repeat; at most 100)"),
        ] = None,
        start: Annotated[datetime | None, Parameter(description="From this time")] = None,
        end: Annotated[datetime | None, Parameter(description="To this time, exclusive")] = None,
    ) -> list[CostPoint]:
        columns = _group_by(group_by)
        start, end = _range(start, end)
        if service and any("\x00" in name or len(name) > SERVICE_MAX for name in service):
            raise invalid_query("service", f"at most {SERVICE_MAX} characters, no NUL")
        async with pool.connection() as conn:
            points = await queries.list_costs(
                conn,
                granularity=granularity,
                group_by=columns,
                services=service or None,
                start=start,
                end=end,
                max_rows=COSTS_MAX_ROWS,
            )
        if len(points) > COSTS_MAX_ROWS:
            raise invalid_query(
                "start",
                f"the range holds more than {COSTS_MAX_ROWS:,} points: narrow it (start, end, "
                "service) or use granularity=day",
            )
        return points

    @get(
        "/series",
        summary="One service's series as a causal detector judges it: every bucket, with its band",
        description="Every bucket of [start, end) of the service's series (split by account_id "
        "and/or region with group_by), with cost, expected, lower_bound, upper_bound, score and "
        "verdict; expected is null before the series has a baseline. Without granularity: day "
        "for a service that sends daily data (sentinel.daily_services), else hour. Default "
        "range: the 30 days (day) or 7 days (hour) up to the service's newest bucket. "
        + DETECTION_HELP,
        dependencies=DETECTOR_QUERY,
        responses=ERROR_RESPONSES,
        opt={**READ, "timeout": DETECTION},
    )
    async def series(
        self,
        pool: Pool,
        queries: QueryFiles,
        detector: NamedDependency[DetectorQuery],
        service: Annotated[str, text_filter(SERVICE_MAX, "The service whose series to show")],
        account_id: Annotated[
            str | None, text_filter(EXPORT_ACCOUNT_ID_MAX, "Only this account's series")
        ] = None,
        region: Annotated[str | None, text_filter(REGION_MAX, "Only this region's series")] = None,
        start: Annotated[datetime | None, Parameter(description="From this time")] = None,
        end: Annotated[datetime | None, Parameter(description="To this time, exclusive")] = None,
    ) -> list[SeriesPoint]:
        params = detector.params()
        if params.granularity == "record":
            raise invalid_query("granularity", "a series is of hour or day buckets")
        start, end = _range(start, end)
        # A series of the service, split by what else group_by names.
        columns = parse_group_by(["service", *(detector.group_by or [])])
        params = replace(params, group_by=columns)
        await refresh_baselines(pool, queries)
        async with pool.connection() as conn:
            if detector.granularity is None and await queries.is_daily_service(
                conn, service=service
            ):
                params = replace(params, granularity="day")
            return await queries.list_series_points(
                conn,
                params=params,
                service=service,
                account_id=account_id,
                region=region,
                start=start,
                end=end,
                span=SERIES_SPAN[params.granularity],
            )


def _group_by(values: list[str] | None) -> list[str]:
    try:
        return parse_group_by(values)
    except ParameterError as exc:
        raise invalid_query(exc.field, exc.message) from None
