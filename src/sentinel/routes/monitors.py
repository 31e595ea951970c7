"""Monitors: what Sentinel watches and alerts on (admin to change, read to read)."""

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from psycopg import AsyncConnection, errors

from sentinel.alert_schemas import Monitor, MonitorIn
from sentinel.errors import ERROR_RESPONSES, JSON_BODY_RESPONSES, NOT_FOUND_RESPONSE, problem
from sentinel.queries import Queries
from sentinel.routes.ids import IdPath, as_id, not_found

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]
CHANGE = {"scope": "admin", "body": "json"}


def _name_taken(name: str) -> Exception:
    detail = f"a monitor named {name!r} exists"
    return problem(409, detail, errors=[{"field": "name", "message": detail, "source": "body"}])


async def _stored(conn: AsyncConnection, queries: Queries, monitor_id: int | None) -> Monitor:
    found = [] if monitor_id is None else await queries.list_monitors(conn, monitor_id=monitor_id)
    if not found:
        raise not_found("monitor")
    return found[0]


class MonitorController(Controller):
    path = "/api/v1/monitors"
    tags = ["monitors"]

    @get("/", summary="Every monitor", responses=ERROR_RESPONSES, opt={"scope": "read"})
    async def list_monitors(self, conn: Connection, queries: QueryFiles) -> list[Monitor]:
        return await queries.list_monitors(conn)

    @post(
        "/",
        status_code=201,
        summary="Create a monitor; fields left out take the recommended defaults",
        description="It judges the data that arrives from now on (evaluation looks only at "
        "buckets new data changed).",
        responses={**ERROR_RESPONSES, **JSON_BODY_RESPONSES, 409: ERROR_RESPONSES[422]},
        opt=CHANGE,
    )
    async def create(
        self, data: JSONBody[MonitorIn], conn: Connection, queries: QueryFiles
    ) -> Monitor:
        created = await queries.insert_monitor(conn, monitor=data)
        if created is None:
            raise _name_taken(data.name)
        return await _stored(conn, queries, created)

    @get(
        "/{id:str}",
        summary="One monitor",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "read"},
    )
    async def get_monitor(self, id: IdPath, conn: Connection, queries: QueryFiles) -> Monitor:
        return await _stored(conn, queries, as_id(id))

    @put(
        "/{id:str}",
        summary="Replace a monitor's settings (fields left out take the defaults again)",
        responses={**ERROR_RESPONSES, **JSON_BODY_RESPONSES, **NOT_FOUND_RESPONSE},
        opt=CHANGE,
    )
    async def replace(
        self, id: IdPath, data: JSONBody[MonitorIn], conn: Connection, queries: QueryFiles
    ) -> Monitor:
        monitor_id = as_id(id)
        if monitor_id is None:
            raise not_found("monitor")
        try:
            async with conn.transaction():
                updated = await queries.update_monitor(conn, monitor_id=monitor_id, monitor=data)
        except errors.UniqueViolation:
            raise _name_taken(data.name) from None
        return await _stored(conn, queries, updated)

    @delete(
        "/{id:str}",
        status_code=200,
        summary="Delete a monitor with its alerts",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "admin", "body": "none"},
    )
    async def remove(self, id: IdPath, conn: Connection, queries: QueryFiles) -> Monitor:
        monitor = await _stored(conn, queries, as_id(id))
        await queries.delete_monitor(conn, monitor_id=monitor.id)
        return monitor
