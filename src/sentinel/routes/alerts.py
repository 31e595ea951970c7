"""Alerts raised by monitors: list, one, the ratings people give them, and how they were rated."""

from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from psycopg import AsyncConnection

from sentinel.alert_schemas import Alert, AlertFeedback, AlertStats, FeedbackIn
from sentinel.errors import ERROR_RESPONSES, JSON_BODY_RESPONSES, NOT_FOUND_RESPONSE
from sentinel.queries import Queries
from sentinel.routes.ids import BIGINT_MAX, IdPath, as_id, not_found, text_filter
from sentinel.routes.links import link_to
from sentinel.schemas import SERVICE_MAX, as_utc
from sentinel.settings import Settings

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]
READ = {"scope": "read"}
PAGE_MAX = 1000


class AlertController(Controller):
    path = "/api/v1/alerts"
    tags = ["alerts"]

    @get(
        "/",
        summary="Alerts, newest first",
        description="One page of at most `limit` alerts; when more may follow, a "
        '`Link: <...>; rel="next"` header gives the next page (keyset on start and id, '
        "with `before_id`).",
        responses=ERROR_RESPONSES,
        opt=READ,
    )
    async def list_alerts(
        self,
        request: Request,
        conn: Connection,
        queries: QueryFiles,
        settings: NamedDependency[Settings],
        monitor_id: Annotated[int | None, Parameter(ge=1, le=BIGINT_MAX)] = None,
        status: Annotated[
            Literal["open", "closed"] | None, Parameter(description="open or closed")
        ] = None,
        service: Annotated[str | None, text_filter(SERVICE_MAX)] = None,
        since: Annotated[
            datetime | None, Parameter(description="Alerts that started at or after this")
        ] = None,
        min_impact: Annotated[
            float | None, Parameter(ge=0, le=1e12, description="total_impact at least, dollars")
        ] = None,
        before_id: Annotated[
            int | None, Parameter(ge=1, le=BIGINT_MAX, description="The last id of the page before")
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=PAGE_MAX)] = 100,
    ) -> Response[list[Alert]]:
        alerts = await queries.list_alerts(
            conn,
            monitor_id=monitor_id,
            status=status,
            service=service,
            since=None if since is None else as_utc(since),
            min_impact=min_impact,
            before_id=before_id,
            limit=limit,
        )
        headers = {}
        if len(alerts) == limit:
            next_page = {**request.query_params.dict(), "before_id": [str(alerts[-1].id)]}
            headers["Link"] = f'<{link_to(request, settings.public_url, next_page)}>; rel="next"'
        return Response(alerts, headers=headers)

    @get(
        "/stats",
        summary="How alerts were rated: raised, rated, and the share rated yes",
        responses=ERROR_RESPONSES,
        opt=READ,
    )
    async def stats(
        self,
        conn: Connection,
        queries: QueryFiles,
        monitor_id: Annotated[int | None, Parameter(ge=1, le=BIGINT_MAX)] = None,
    ) -> AlertStats:
        return await queries.summarize_alerts(conn, monitor_id=monitor_id)

    @get(
        "/{id:str}",
        summary="One alert, with its root causes",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
        opt=READ,
    )
    async def get_alert(self, id: IdPath, conn: Connection, queries: QueryFiles) -> Alert:
        alert_id = as_id(id)
        found = [] if alert_id is None else await queries.list_alerts(conn, alert_id=alert_id)
        if not found:
            raise not_found("alert")
        return found[0]

    @post(
        "/{id:str}/feedback",
        status_code=201,
        summary="Rate an alert: yes (real), no (a false alarm) or planned",
        description="no and planned close the alert and keep its series quiet for 7 days "
        "(sentinel.alert_quiet_period()) after its last flagged bucket, unless the impact grows.",
        responses={**ERROR_RESPONSES, **JSON_BODY_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "write", "body": "json"},
    )
    async def feedback(
        self,
        id: IdPath,
        data: JSONBody[FeedbackIn],
        request: Request,
        conn: Connection,
        queries: QueryFiles,
    ) -> AlertFeedback:
        alert_id = as_id(id)
        stored = None
        if alert_id is not None:
            stored = await queries.insert_alert_feedback(
                conn,
                alert_id=alert_id,
                verdict=data.verdict,
                note=data.note,
                key_name=request.state.get("api_key_name"),
            )
        if stored is None:
            raise not_found("alert")
        return stored
