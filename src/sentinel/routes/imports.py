"""Upload of billing export files and the import history."""

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import InternalServerException, ValidationException
from litestar.params import Parameter
from psycopg import AsyncConnection

from sentinel.errors import (
    ERROR_RESPONSES,
    IMPORT_RESPONSES,
    Problem,
    problem,
)
from sentinel.importers import ExportError, import_export
from sentinel.importers.pipeline import open_upload
from sentinel.importers.stream import Body, ExportTooLarge, ImportLimits
from sentinel.limits import IMPORT, ImportSlots
from sentinel.openapi import ImportOperation
from sentinel.queries import Queries
from sentinel.routes.ids import NO_NUL_PATTERN
from sentinel.schemas import BillingImport
from sentinel.settings import Settings

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]


def _refused(message: str) -> ValidationException:
    return ValidationException(extra=[{"key": "file", "message": message, "source": "body"}])


def _too_large(message: str) -> Problem:
    errors = [{"field": "file", "message": message, "source": "body"}]
    return problem(413, message, errors=errors)


def _limits(settings: Settings) -> ImportLimits:
    return ImportLimits(
        max_size=settings.max_import_size,
        max_expanded=settings.max_import_expanded_size,
        max_ratio=settings.max_import_ratio,
        max_line=settings.max_import_line,
    )


def _body_puller(request: Request) -> Callable[[], bytes]:
    """The next chunk of the body, for the import's worker thread: the receive runs on the
    event loop, one chunk at a time, so the upload is read no faster than it is parsed."""
    loop = asyncio.get_running_loop()
    chunks = request.stream()

    def pull() -> bytes:
        try:
            return asyncio.run_coroutine_threadsafe(anext(chunks, b""), loop).result()
        except InternalServerException:  # Litestar's word for a client gone mid-body
            raise ExportError("upload", "the client left before the end of the body") from None

    return pull


class ImportController(Controller):
    path = "/api/v1/billing"
    tags = ["imports"]

    @post(
        "/import",
        status_code=201,
        responses={**ERROR_RESPONSES, **IMPORT_RESPONSES},
        # Unlimited here: the import enforces SENTINEL_MAX_IMPORT_SIZE itself, as it reads.
        request_max_body_size=None,
        # sentinel.forgery: application/octet-stream or the file's own type, never text/plain.
        opt={"scope": "write", "body": "export", "timeout": IMPORT},
        summary="Import a billing export (AWS CUR, CUR 2.0, FOCUS, Azure) sent as the raw body",
        description="Send the file itself as the body (`curl --data-binary @file -H "
        "'content-type: application/octet-stream'`); `text/csv`, `application/gzip`, "
        "`application/zip` and `application/vnd.apache.parquet` are accepted too, form types "
        "and `text/plain` are not (415). "
        "The format is recognised from the content: CSV, gzip, zip or Parquet. CSV and gzip are "
        "parsed as they arrive; Parquet and zip are spooled to a temporary file first (they need "
        "random access), within the same size limit. Limits: SENTINEL_MAX_IMPORT_SIZE bytes "
        "received (413), SENTINEL_MAX_IMPORT_EXPANDED_SIZE and SENTINEL_MAX_IMPORT_RATIO once "
        "decompressed (413), SENTINEL_MAX_IMPORT_LINE bytes per line (413), "
        "SENTINEL_MAX_CONCURRENT_IMPORTS at once (503 with Retry-After). "
        "An export of a billing period already imported from the same account replaces it; "
        "the same bytes again store nothing (status `unchanged`).",
        operation_class=ImportOperation,
    )
    async def upload(
        self,
        request: Request,
        conn: Connection,
        queries: QueryFiles,
        import_slots: NamedDependency[ImportSlots],
        filename: Annotated[
            str,
            Parameter(
                min_length=1,
                max_length=255,
                pattern=NO_NUL_PATTERN,
                description="Name kept in the import history",
            ),
        ] = "upload",
    ) -> BillingImport:
        settings: Settings = request.app.state.settings
        if not import_slots.try_take():
            raise problem(
                503,
                f"{import_slots.size} imports are running (SENTINEL_MAX_CONCURRENT_IMPORTS); "
                "try again shortly",
                headers={"Retry-After": "10"},
            )
        try:
            limits = _limits(settings)
            declared = request.content_length
            if declared is not None and declared > limits.max_size:
                raise _too_large(
                    f"the upload is larger than SENTINEL_MAX_IMPORT_SIZE ({limits.max_size} bytes)"
                )
            body = Body(_body_puller(request), filename, limits)
            with tempfile.TemporaryDirectory(prefix="sentinel-import-") as folder:
                try:
                    export = await asyncio.to_thread(
                        open_upload, body, filename, Path(folder), limits
                    )

                    async def digest() -> str:
                        return await asyncio.to_thread(body.hexdigest)

                    return await import_export(conn, queries, export, file_checksum=digest)
                except ExportTooLarge as exc:
                    raise _too_large(str(exc)) from None
                except ExportError as exc:
                    raise _refused(str(exc)) from None
        finally:
            import_slots.give_back()

    @get(
        "/imports",
        summary="Import history, newest first",
        responses=ERROR_RESPONSES,
        opt={"scope": "read"},
    )
    async def history(
        self,
        conn: Connection,
        queries: QueryFiles,
        limit: Annotated[int, Parameter(ge=1, le=10_000, description="At most this many")] = 100,
    ) -> list[BillingImport]:
        return await queries.list_imports(conn, limit=limit)
