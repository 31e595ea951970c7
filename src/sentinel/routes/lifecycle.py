"""Deleting data (admin): an import with its records (here), one service's records in a time
range (its parameters here, the route beside the other record routes in billing.py); and the
check that keeps mock data away from real data."""

from datetime import datetime
from typing import Annotated

from litestar import Controller, delete
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from psycopg import AsyncConnection

from sentinel.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE, problem
from sentinel.queries import Queries
from sentinel.routes.ids import INTEGER_PATTERN, as_id, not_found
from sentinel.schemas import DeletedImport, as_utc
from sentinel.settings import Settings

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]
ADMIN = {"scope": "admin", "body": "none"}


async def refuse_seed_unless_allowed(
    conn: AsyncConnection, queries: Queries, settings: Settings, *, force: bool
) -> None:
    if settings.auth_required and not settings.allow_seed:
        detail = "mock data is disabled while API keys are required; set SENTINEL_ALLOW_SEED=true"
        raise problem(
            403,
            detail,
            errors=[{"field": "SENTINEL_ALLOW_SEED", "message": detail, "source": "setting"}],
        )
    if not force and await queries.has_imported_records(conn):
        detail = (
            "the database holds imported billing records; mock data would mix with them for "
            "good. Send force=true to seed anyway"
        )
        raise problem(
            409, detail, errors=[{"field": "force", "message": detail, "source": "query"}]
        )


def deletion_range(
    service: str | None, start: datetime | None, end: datetime | None
) -> tuple[str, datetime, datetime]:
    """The parameters of DELETE /api/v1/billing/: every missing one named in one 422."""
    missing = [
        {
            "key": key,
            "message": "required: deletion needs a service and both bounds",
            "source": "query",
        }
        for key, value in (("service", service), ("start", start), ("end", end))
        if value is None
    ]
    if service is None or start is None or end is None:
        raise ValidationException(extra=missing)
    bounds = []
    for key, value in (("start", start), ("end", end)):
        try:
            bounds.append(as_utc(value))
        except ValueError as exc:
            raise ValidationException(
                extra=[{"key": key, "message": str(exc), "source": "query"}]
            ) from None
    if bounds[1] <= bounds[0]:
        raise ValidationException(
            extra=[{"key": "end", "message": "end must be after start", "source": "query"}]
        )
    return service, bounds[0], bounds[1]


class DeletionController(Controller):
    path = "/api/v1/billing"
    tags = ["deletion"]

    @delete(
        "/imports/{id:str}",
        status_code=200,
        opt=ADMIN,
        summary="Delete an import and the records it stored",
        description="Its no-op re-imports of the same bytes (status `unchanged`) go with it. "
        "Imports it had superseded stay superseded: their rows were replaced, not kept.",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
    )
    async def delete_import(
        self,
        id: Annotated[
            str, PathParameter(pattern=INTEGER_PATTERN, description="The import's id, an integer")
        ],
        conn: Connection,
        queries: QueryFiles,
    ) -> DeletedImport:
        deleted = None
        if (import_id := as_id(id)) is not None:
            await queries.lock_imports(conn)
            deleted = await queries.delete_import(conn, import_id=import_id)
        if deleted is None or deleted.imports_deleted == 0:
            raise not_found("import")
        return deleted
