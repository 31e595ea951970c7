"""One import: detect, stream batches through the format's mapping, COPY, swap in, record.

The whole import is one transaction: a file that fails on its last line stores nothing, and
readers see the earlier import of the same billing period until the new one commits. The rows
are COPYd into a table of their own, which becomes the partition of its billing account and
period (sql/schema/15_import_partitions.sql). The
mapping of batch n+1 (Arrow, in a worker thread) overlaps the COPY of batch n.
"""

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
from psycopg import AsyncConnection

from sentinel.importers import base, formats, source
from sentinel.importers import stream as incoming
from sentinel.importers.base import ExportError, Position
from sentinel.queries import Queries
from sentinel.schemas import BillingImport

logger = logging.getLogger("sentinel.importers")

Progress = Callable[[int], None]  # rows stored so far


@dataclass
class Export:
    """An export file opened and recognised; no row read yet."""

    source: source.Source
    format: formats.Format
    total_rows: int | None  # known up front for Parquet only

    @property
    def format_name(self) -> str:
        return self.format.name


@dataclass
class Batches:
    """The COPY chunks of an export, with what they covered once they have been read."""

    export: Export
    import_id: int
    rows: int = 0
    scope: set[tuple[str, date]] = field(default_factory=set)

    def __iter__(self) -> Iterator[bytes]:
        src, fmt = self.export.source, self.export.format
        wanted = fmt.wanted()
        raw = (
            source.parquet_batches(src, wanted)
            if not src.is_csv
            else source.csv_batches(src, wanted, fmt.null_values, lambda: self.rows)
        )
        for batch in raw:
            if batch.num_rows == 0:
                continue
            position = Position(src.name, self.rows, src.is_csv)
            columns = fmt.map(batch, position)
            self.scope.update(
                base.scope(columns["billing_account_id"], columns["billing_period_start"])
            )
            chunk = base.to_csv(base.normalised(columns, self.import_id))
            self.rows += batch.num_rows
            yield chunk


# "COPY billing_record, line 12, column tags: ..." (the server's position in our COPY data).
_COPY_CONTEXT = re.compile(r"line (\d+)(?:, column (\w+))?")


def _refused_by_database(export: Export, exc: psycopg.Error) -> ExportError:
    """A value the checks above let through but PostgreSQL refuses, located in the file.

    The server's message stays in the log: it can quote SQL, and clients never see that.
    """
    logger.info("import refused by the database: %s", exc)
    found = _COPY_CONTEXT.search(exc.diag.context or "")
    if not found:
        return ExportError(export.source.name, "a value cannot be stored")
    row = int(found.group(1)) - 1
    target = found.group(2)
    roles = export.format.columns
    column = {
        "service": roles.get("service"),
        "cost": roles.get("cost"),
        "timestamp": roles.get("timestamp"),
        "region": roles.get("region"),
        "account_id": roles.get("account"),
        "currency": roles.get("currency"),
        "billing_period_start": roles.get("period"),
        "tags": export.format.tags_column,
    }.get(target or "", target)
    position = Position(export.source.name, 0, export.source.is_csv)
    return position.error(row, column or "?", "the value cannot be stored in that field")


def open_export(path: Path, name: str | None = None) -> Export:
    """Recognise the file; wrong headers and unknown formats fail here, before any write."""
    return _recognised(source.open_source(path, name or path.name))


def open_upload(
    body: incoming.Body, name: str, folder: Path, limits: incoming.ImportLimits
) -> Export:
    """Recognise an upload from its first bytes and header (Parquet and zip are spooled into
    `folder` first); CSV rows are then read from the body as the import consumes them."""
    return _recognised(source.open_upload(body, name, folder, limits))


def _recognised(src: source.Source) -> Export:
    fmt = formats.detect(src.name, src.columns, src.container)
    total = None
    if not src.is_csv and src.path is not None:
        total = pq.ParquetFile(src.path).metadata.num_rows
    return Export(src, fmt, total)


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


async def _in_thread(batches: Batches, progress: Progress | None) -> AsyncIterator[bytes]:
    chunks = iter(batches)
    pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
    try:
        while (chunk := await pending) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
            yield chunk
            if progress:
                progress(batches.rows)
    finally:
        if not pending.done():
            # The generator must not be left running in its thread while the COPY unwinds.
            await asyncio.gather(pending, return_exceptions=True)


class _Unchanged(Exception):
    """The bytes just read are those of a current import: roll the rows back."""

    def __init__(self, current: int, digest: str) -> None:
        self.current, self.digest = current, digest


async def import_export(
    conn: AsyncConnection,
    queries: Queries,
    export: Export,
    *,
    file_checksum: str | Callable[[], Awaitable[str]],
    progress: Progress | None = None,
) -> BillingImport:
    """Store the export's rows in one transaction, replacing earlier imports of its periods.

    `file_checksum` is the file's SHA-256, or for an upload read as it arrives a function
    giving it once the whole body has been read: then identical bytes are found after the
    COPY, whose rows are rolled back to a savepoint.
    """
    async with conn.transaction():
        await queries.lock_imports(conn)
        known = file_checksum if isinstance(file_checksum, str) else None
        current = None
        if known is not None:
            current = await queries.find_current_import(conn, checksum=known)
        if current is None:
            try:
                async with conn.transaction():
                    return await _store(conn, queries, export, file_checksum, progress)
            except _Unchanged as unchanged:
                current, known = unchanged.current, unchanged.digest
        assert known is not None
        return await queries.insert_import(
            conn,
            file_name=export.source.name,
            format=export.format_name,
            checksum=known,
            status="unchanged",
            unchanged_of=current,
        )


async def _store(
    conn: AsyncConnection,
    queries: Queries,
    export: Export,
    file_checksum: str | Callable[[], Awaitable[str]],
    progress: Progress | None,
) -> BillingImport:
    deferred = not isinstance(file_checksum, str)
    opened = await queries.insert_import(
        conn,
        file_name=export.source.name,
        format=export.format_name,
        # Set by finish_import once the body has been read whole.
        checksum="" if deferred else file_checksum,
    )
    batches = Batches(export, opened.id)
    await queries.open_incoming_records(conn)
    try:
        await queries.copy_billing_records(conn, chunks=_in_thread(batches, progress))
    except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
        raise _refused_by_database(export, exc) from None
    if batches.rows == 0:
        raise ExportError(export.source.name, "the file has a header but no rows", line=2)
    digest = file_checksum if isinstance(file_checksum, str) else await file_checksum()
    if deferred and (current := await queries.find_current_import(conn, checksum=digest)):
        raise _Unchanged(current, digest)
    # The (billing account, period) pairs the file covers, as two aligned lists.
    pairs = sorted(batches.scope)
    accounts = [account for account, _ in pairs]
    periods = [period for _, period in pairs]
    replaced = await queries.replace_imported_records(
        conn, import_id=opened.id, accounts=accounts, periods=periods
    )
    finished = await queries.finish_import(
        conn,
        import_id=opened.id,
        checksum=digest,
        row_count=batches.rows,
        replaced_rows=replaced,
        periods=sorted(set(periods)),
        accounts=sorted(set(accounts)),
    )
    # After finish_import: the decision reads the import's recorded accounts and periods.
    await queries.mark_recurring_charges(conn, accounts=accounts, periods=periods)
    return finished


async def import_file(
    conn: AsyncConnection,
    queries: Queries,
    path: Path,
    *,
    name: str | None = None,
    progress: Progress | None = None,
) -> BillingImport:
    export = await asyncio.to_thread(open_export, path, name)
    digest = await asyncio.to_thread(checksum, path)
    return await import_export(conn, queries, export, file_checksum=digest, progress=progress)
