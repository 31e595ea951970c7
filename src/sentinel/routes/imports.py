"""Upload of billing export files and the import history."""

import asyncio
import hashlib
import tempfile
from pathlib import Path
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from psycopg import AsyncConnection

from sentinel.errors import ERROR_RESPONSES
from sentinel.importers import ExportError, import_export, open_export
from sentinel.queries import Queries
from sentinel.schemas import BillingImport

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]

# A month of CUR for a large organisation is gigabytes; the upload streams to a temporary file
# (Parquet needs random access), never into memory, so the general body limit does not apply.
UPLOAD_MAX = 16 << 30


def _refused(message: str) -> ValidationException:
    return ValidationException(extra=[{"key": "file", "message": message, "source": "body"}])


class ImportController(Controller):
    path = "/api/v1/billing"
    tags = ["imports"]

    @post(
        "/import",
        status_code=201,
        responses=ERROR_RESPONSES,
        request_max_body_size=UPLOAD_MAX,
        # sentinel.forgery: application/octet-stream or the file's own type, never text/plain.
        opt={"scope": "write", "body": "export"},
        summary="Import a billing export (AWS CUR, CUR 2.0, FOCUS, Azure) sent as the raw body",
        description="Send the file itself as the body (`curl --data-binary @file -H "
        "'content-type: application/octet-stream'`); `text/csv`, `application/gzip`, "
        "`application/zip` and `application/vnd.apache.parquet` are accepted too, form types "
        "and `text/plain` are not (415). The format is recognised from the content: CSV, "
        "gzip, zip or Parquet. "
        "An export of a billing period already imported from the same account replaces it; "
        "the same bytes again store nothing (status `unchanged`).",
    )
    async def upload(
        self,
        request: Request,
        conn: Connection,
        queries: QueryFiles,
        filename: Annotated[
            str, Parameter(max_length=255, description="Name kept in the import history")
        ] = "upload",
    ) -> BillingImport:
        with tempfile.TemporaryDirectory(prefix="sentinel-import-") as folder:
            path = Path(folder) / "export"
            digest = hashlib.sha256()
            size = 0
            with path.open("wb") as sink:
                async for chunk in request.stream():
                    digest.update(chunk)
                    size += len(chunk)
                    await asyncio.to_thread(sink.write, chunk)
            if size == 0:
                raise _refused(f"{filename}: the body is empty; send the export file as the body")
            try:
                export = await asyncio.to_thread(open_export, path, filename)
                return await import_export(conn, queries, export, file_checksum=digest.hexdigest())
            except ExportError as exc:
                raise _refused(str(exc)) from None

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
