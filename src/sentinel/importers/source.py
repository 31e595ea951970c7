"""Opening an export: container (Parquet, CSV, gzip, zip) from the magic bytes, then streaming.

The file name is never trusted for the format: uploads arrive as "upload" and exports are
renamed. Batches stream; a month of CUR never sits in memory as Python objects.
"""

import csv
import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sentinel.importers import stream as incoming
from sentinel.importers.base import ExportError

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# Small enough that the server starts on the first rows within some 30 ms and the pipeline
# stays full; large enough that a batch's fixed cost (a few hundred Arrow calls) stays small.
BATCH_ROWS = 16_384
CSV_BLOCK = 8 << 20
# Uploads are untrusted and several may run at once: smaller blocks (at least two lines of
# the longest allowed, as Arrow wants a whole row within a block) keep each import's memory
# to some tens of MB, at a few percent of throughput.
UPLOAD_CSV_BLOCK = 1 << 20


def upload_block(limits: incoming.ImportLimits) -> int:
    return max(UPLOAD_CSV_BLOCK, 2 * limits.max_line)


@dataclass
class Source:
    """An opened export: what it is and its column names, before any row is read."""

    path: Path | None  # None for an upload parsed as it arrives (`stream`)
    name: str  # as shown in messages and the import history
    container: str  # parquet, csv, csv.gz, csv.zip
    columns: list[str]
    # An upload's CSV text, header included, readable once (sentinel.importers.stream).
    stream: IO[bytes] | None = None
    # Wraps a zip member's stream, e.g. to hold it to the upload limits.
    wrap: Callable[[IO[bytes]], IO[bytes]] | None = None
    # Bytes of CSV parsed at once: memory per import is a small multiple of it.
    block_size: int = CSV_BLOCK

    @property
    def is_csv(self) -> bool:
        return self.container != "parquet"


def open_source(
    path: Path, name: str, wrap: Callable[[IO[bytes]], IO[bytes]] | None = None
) -> Source:
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic == PARQUET_MAGIC:
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowException, OSError) as exc:
            raise ExportError(name, f"not a readable Parquet file (truncated?): {exc}") from None
        return Source(path, name, "parquet", list(schema.names))
    if magic[:2] == GZIP_MAGIC:
        container = "csv.gz"
    elif magic == ZIP_MAGIC:
        container = "csv.zip"
    elif not magic:
        raise ExportError(name, "the file is empty", line=1)
    else:
        container = "csv"
    with _text_stream(path, name, container, wrap) as stream:
        header = _header(stream, name)
    return Source(path, name, container, header, wrap=wrap)


def open_upload(
    body: incoming.Body, name: str, folder: Path, limits: incoming.ImportLimits
) -> Source:
    """Recognise an upload from its first bytes; CSV and gzip are then read as they arrive."""
    reader = io.BufferedReader(body, incoming.RECEIVE_CHUNK)
    first = reader.read(4)
    if not first:
        raise ExportError(name, "the body is empty; send the export file as the body", line=1)
    if first in (PARQUET_MAGIC, ZIP_MAGIC):
        path = folder / "export"
        incoming.spool(first, reader, path)
        src = open_source(
            path, name, lambda member: incoming.Limited(member, name, limits, lambda: body.received)
        )
        src.block_size = upload_block(limits)
        return src
    rest = incoming.Replay(first, reader)
    if first[:2] == GZIP_MAGIC:
        container = "csv.gz"
        text = incoming.Limited(gzip.GzipFile(fileobj=rest), name, limits, lambda: body.received)
    else:
        container = "csv"
        text = incoming.Limited(rest, name, limits)
    header_line = incoming.read_header_line(text, name, limits.max_line)
    if not header_line:
        raise ExportError(name, "the file is empty", line=1)
    header = _header(io.TextIOWrapper(io.BytesIO(header_line), encoding="utf-8-sig"), name)
    return Source(
        None,
        name,
        container,
        header,
        stream=incoming.Replay(header_line, text),
        block_size=upload_block(limits),
    )


@contextmanager
def _source_stream(source: Source) -> Iterator[IO[bytes]]:
    if source.stream is not None:
        yield source.stream
        return
    assert source.path is not None
    with _binary_stream(source.path, source.name, source.container, source.wrap) as raw:
        yield raw


@contextmanager
def _binary_stream(
    path: Path,
    name: str,
    container: str,
    wrap: Callable[[IO[bytes]], IO[bytes]] | None = None,
) -> Iterator[IO[bytes]]:
    if container == "csv":
        with path.open("rb") as stream:
            yield stream
    elif container == "csv.gz":
        with gzip.open(path, "rb") as stream:
            yield stream
    else:
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise ExportError(name, f"not a complete zip archive ({exc})") from None
        with archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise ExportError(name, f"the zip archive holds {len(members)} files, not one")
            with archive.open(members[0]) as member:
                yield wrap(member) if wrap else member


@contextmanager
def _text_stream(
    path: Path, name: str, container: str, wrap: Callable[[IO[bytes]], IO[bytes]] | None
) -> Iterator[IO[str]]:
    with _binary_stream(path, name, container, wrap) as stream:
        yield io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def _header(stream: IO[str], name: str) -> list[str]:
    try:
        first = next(csv.reader(stream), None)
    except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
        raise ExportError(name, f"the compressed stream is damaged or truncated ({exc})") from None
    except UnicodeDecodeError:
        raise ExportError(name, "not UTF-8 text, nor Parquet, gzip or zip", line=1) from None
    except csv.Error as exc:
        raise ExportError(name, f"not a CSV header ({exc})", line=1) from None
    if not first:
        raise ExportError(name, "no header line", line=1)
    return [column.strip() for column in first]


def parquet_batches(source: Source, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """Only the columns the format maps are decoded: a tenth of a CUR file's 120-odd.

    Text columns are read as dictionaries, as Parquet stores them: a CUR month repeats a few
    hundred services, accounts and tag values, and materialising a string per row took a third
    of the importer's time. The conversions work on each batch's distinct values.
    """
    try:
        with pq.ParquetFile(source.path) as parquet:
            schema = parquet.schema_arrow
            text = [
                name
                for name in columns
                if pa.types.is_string(schema.field(name).type)
                or pa.types.is_large_string(schema.field(name).type)
            ]
        with pq.ParquetFile(source.path, read_dictionary=text) as parquet:
            yield from parquet.iter_batches(
                batch_size=BATCH_ROWS, columns=columns, use_threads=False
            )
    except (pa.ArrowException, OSError) as exc:
        raise ExportError(source.name, f"unreadable Parquet data: {exc}") from None


def csv_batches(
    source: Source, columns: list[str], null_values: list[str], rows_read: Callable[[], int]
) -> Iterator[pa.RecordBatch]:
    """Every wanted column as text (the format converts it); `rows_read` says where we are."""
    invalid: list[tuple[int | None, int, int]] = []

    def invalid_row(row: pa_csv.InvalidRow) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns))
        return "error"

    read = pa_csv.ReadOptions(block_size=source.block_size, use_threads=False)
    parse = pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid_row)
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()),
        include_columns=columns,
        null_values=null_values,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    with _source_stream(source) as stream:
        try:
            reader = pa_csv.open_csv(stream, read, parse, convert)
            yield from reader
        except (EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise _truncated(source, rows_read(), exc) from None
        except pa.ArrowInvalid as exc:
            if invalid:
                number, expected, actual = invalid[0]
                raise ExportError(
                    source.name,
                    f"{actual} fields where the header has {expected}",
                    line=number,
                ) from None
            raise ExportError(
                source.name, f"unreadable CSV after line {rows_read() + 1}: {exc}"
            ) from None
        except OSError as exc:
            raise _truncated(source, rows_read(), exc) from None


def _truncated(source: Source, rows: int, exc: Exception) -> ExportError:
    return ExportError(
        source.name,
        f"the {source.container.split('.')[-1]} stream ends early or is damaged "
        f"after line {rows + 1} ({exc}); nothing was stored",
        line=rows + 2,
    )
