"""What every export format shares: the error type, the stored columns, and vectorised helpers.

A format turns each Arrow record batch of the file into a table with exactly the columns of
COPY_COLUMNS, in that order, using Arrow compute (C++) rather than a Python loop per row: the
import must keep up with PostgreSQL's COPY, a few hundred thousand rows per second.
Values with few distinct entries (dates, charge types, tags) are converted once per distinct value.
"""

import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sentinel.schemas import REGION_MAX, SERVICE_MAX

# Migration 0007 allows exports longer account ids than the API (Oracle OCIDs).
EXPORT_ACCOUNT_ID_MAX = 256


class ExportError(Exception):
    """A file that cannot be imported; the message names the file, the line and the column."""

    def __init__(
        self, file: str, message: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        self.file, self.line, self.column, self.reason = file, line, column, message
        where = [file]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}")


# The order of the columns in sql/queries/copy_billing_records.sql.
COPY_COLUMNS = (
    "service",
    "cost",
    "timestamp",
    "region",
    "account_id",
    "charge_type",
    "provider_charge_type",
    "usage_type",
    "currency",
    "billing_period_start",
    "billing_account_id",
    "tags",
    "import_id",
)

# Provider charge types (CUR line item types, FOCUS ChargeCategory, Azure ChargeType), compared
# lowercased, onto the few kinds detectors include or exclude. Unknown ones are kept, lowercased.
CHARGE_TYPES = {
    "usage": "usage",
    "discountedusage": "usage",
    "savingsplancoveredusage": "usage",
    "unusedreservation": "fee",
    "unusedsavingsplan": "fee",
    "rifee": "fee",
    "fee": "fee",
    "savingsplanrecurringfee": "fee",
    "savingsplanupfrontfee": "fee",
    "purchase": "purchase",
    "tax": "tax",
    "credit": "credit",
    "refund": "refund",
    "edpdiscount": "discount",
    "bundleddiscount": "discount",
    "privateratediscount": "discount",
    "savingsplannegation": "discount",
    "distributordiscount": "discount",
    "discount": "discount",
    "adjustment": "adjustment",
    "roundingadjustment": "adjustment",
}

_NUMBER = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"


# Compute functions get typed scalars, never bare Python constants: pyarrow converts an untyped
# value by first trying to import dateutil, and where dateutil is not installed that failed
# import (0.1 ms, not cached) ran a few hundred times per batch.
def _text(value: str | None) -> pa.Scalar:
    return pa.scalar(value, pa.string())


def _int(value: int) -> pa.Scalar:
    return pa.scalar(value, pa.int64())


@dataclass
class Position:
    """Where a batch sits in its file, so that a row index becomes a line (or row) number."""

    file: str
    first_row: int  # 0-based index of the batch's first data row in the file
    csv: bool  # CSV: line = header line + row; Parquet has rows, not lines

    def line(self, index: int) -> int:
        return self.first_row + index + (2 if self.csv else 1)

    def error(self, index: int, column: str, message: str) -> ExportError:
        if self.csv:
            return ExportError(self.file, message, line=self.line(index), column=column)
        return ExportError(
            self.file, f"row {self.line(index)}: {message}", line=None, column=column
        )


def first_true(mask: pa.Array) -> int | None:
    """Index of the first true value of a boolean array (nulls count as false)."""
    if not pc.any(mask).as_py():
        return None
    return pc.index(pc.fill_null(mask, False), pa.scalar(True, pa.bool_())).as_py()


def dense(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array of plain values (Parquet text arrives dictionary-encoded)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column


def text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as strings, blank values as null."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        # Trimmed once per distinct value, then spread over the rows.
        return text(column.dictionary).take(column.indices)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = pc.cast(column, pa.string())
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(trimmed, _text("")), _text(None), trimmed)


def coalesce(*columns: pa.Array | None, default: str | None = None) -> pa.Array:
    present = [c for c in columns if c is not None]
    if default is not None:
        present.append(_text(default))
    return pc.coalesce(*present)


def required_text(
    values: pa.Array, *, column: str, limit: int, position: Position, what: str
) -> pa.Array:
    if (index := first_true(pc.is_null(values))) is not None:
        raise position.error(index, column, f"{what} is missing")
    if (index := first_true(pc.greater(pc.utf8_length(values), _int(limit)))) is not None:
        raise position.error(index, column, f"{what} is longer than {limit} characters")
    return values


def service(values: pa.Array, column: str, position: Position) -> pa.Array:
    return required_text(
        values, column=column, limit=SERVICE_MAX, position=position, what="the service"
    )


def region(values: pa.Array, column: str, position: Position) -> pa.Array:
    return required_text(
        values, column=column, limit=REGION_MAX, position=position, what="the region"
    )


def account(values: pa.Array, column: str, position: Position) -> pa.Array:
    return required_text(
        values, column=column, limit=EXPORT_ACCOUNT_ID_MAX, position=position, what="the account"
    )


def cost(column: pa.Array | pa.ChunkedArray, name: str, position: Position) -> pa.Array:
    """Amounts as exact decimal text (CSV) or as the file's numbers (Parquet), all finite."""
    column = dense(column)
    if (index := first_true(pc.is_null(column))) is not None:
        raise position.error(index, name, "the cost is missing")
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        valid = pc.match_substring_regex(column, _NUMBER)
        if (index := first_true(pc.invert(valid))) is not None:
            value = column[index].as_py()
            raise position.error(index, name, f"the cost {value!r} is not a number")
        return column
    if pa.types.is_floating(column.type):
        if (index := first_true(pc.invert(pc.is_finite(column)))) is not None:
            raise position.error(index, name, f"the cost {column[index].as_py()} is not finite")
        return column
    if pa.types.is_integer(column.type) or pa.types.is_decimal(column.type):
        return column
    raise position.error(0, name, f"the cost column has type {column.type}, not a number")


def per_value(
    column: pa.Array | pa.ChunkedArray,
    convert: Callable[[Any], Any],
    out_type: pa.DataType,
    *,
    name: str,
    position: Position,
    what: str,
) -> pa.Array:
    """Convert each distinct value once in Python; a failure names the first row holding it."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = column.dictionary_encode() if not pa.types.is_dictionary(column.type) else column
    converted = []
    for position_in_dict, value in enumerate(encoded.dictionary.to_pylist()):
        try:
            converted.append(None if value is None else convert(value))
        except (ValueError, TypeError) as exc:
            index = first_true(pc.equal(encoded.indices, _int(position_in_dict)))
            raise position.error(
                index or 0, name, f"{what} {_short(value)} is not valid ({exc})"
            ) from None
    return pa.array(converted, type=out_type).take(encoded.indices)


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "...'"


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 with or without a zone; without one it is UTC (FOCUS samples omit it)."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(value: Any, formats: Sequence[str] = ()) -> date:
    """A date, or the UTC date of a timestamp; `formats` (strptime) are tried before ISO 8601."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    for fmt in formats:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return parse_timestamp(value).date()


def timestamps(
    column: pa.Array | pa.ChunkedArray, name: str, position: Position, formats: Sequence[str] = ()
) -> pa.Array:
    # Plain values: a Parquet dictionary also holds values of rows outside this batch, and a
    # bad one must be reported at its own row.
    column = dense(column)
    if (index := first_true(pc.is_null(column))) is not None:
        raise position.error(index, name, "the timestamp is missing")
    if pa.types.is_timestamp(column.type):
        return column if column.type.tz else pc.assume_timezone(column, "UTC")
    if pa.types.is_date(column.type):
        return pc.assume_timezone(pc.cast(column, pa.timestamp("s")), "UTC")

    def convert(value: str) -> datetime:
        for fmt in formats:
            try:
                return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        return parse_timestamp(value)

    return per_value(
        column, convert, pa.timestamp("us", tz="UTC"), name=name, position=position, what="time"
    )


def dates(
    column: pa.Array | pa.ChunkedArray, name: str, position: Position, formats: Sequence[str] = ()
) -> pa.Array:
    # Plain values: a Parquet dictionary also holds values of rows outside this batch, and a
    # bad one must be reported at its own row.
    column = dense(column)
    if (index := first_true(pc.is_null(column))) is not None:
        raise position.error(index, name, "the billing period is missing")
    if pa.types.is_timestamp(column.type):
        utc = column if column.type.tz is None else pc.cast(column, pa.timestamp("us", "UTC"))
        return pc.cast(pc.cast(utc, pa.timestamp(utc.type.unit)), pa.date32())
    if pa.types.is_date(column.type):
        return pc.cast(column, pa.date32())
    return per_value(
        column,
        lambda value: parse_date(value, formats),
        pa.date32(),
        name=name,
        position=position,
        what="date",
    )


def charge_types(column: pa.Array | None, rows: int) -> tuple[pa.Array, pa.Array]:
    """(normalised charge type, the provider's own) for each row; usage when the file has none."""
    if column is None:
        return pa.repeat(_text("usage"), rows), pa.nulls(rows, pa.string())
    encoded = column.dictionary_encode()
    kinds = [
        "usage" if raw is None else CHARGE_TYPES.get(_squash(raw), _squash(raw) or "usage")
        for raw in encoded.dictionary.to_pylist()
    ]
    return pa.array(kinds, pa.string()).take(encoded.indices), column


def _squash(raw: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", raw.lower())


def tags_from_columns(columns: dict[str, pa.Array], rows: int) -> pa.Array:
    """A JSON object per row from one column per tag key; blank values are left out.

    Tag columns repeat a handful of values, and their combinations repeat too: each row gets
    the number of its combination, and json.dumps runs once per combination (exact escaping,
    no per-row Python). Joining strings element-wise over a dozen columns cost more than the
    rest of a batch's mapping; values are trimmed once per distinct value, not per row.
    """
    if not columns:
        return pa.nulls(rows, pa.string())
    combination, bound = pa.repeat(_int(0), rows), 1
    codes, lookups = [], []
    for values in columns.values():
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = values if pa.types.is_dictionary(values.type) else values.dictionary_encode()
        # Code 0: no value (null or blank); code i + 1: the i-th distinct value.
        lookup = pa.concat_arrays([pa.nulls(1, pa.string()), text(encoded.dictionary)])
        width = len(lookup)
        numbers = pa.array(range(width), pa.int64())
        code_of_entry = pc.if_else(pc.is_null(lookup), _int(0), numbers).slice(1)
        code = pc.fill_null(code_of_entry.take(encoded.indices), _int(0))
        if bound * width >= 1 << 62:
            # Renumber the combinations seen so far: at most one per row.
            combination, bound = pc.cast(combination.dictionary_encode().indices, pa.int64()), rows
        # Checked: an overflow would silently give two combinations one number.
        combination = pc.add_checked(pc.multiply_checked(combination, _int(width)), code)
        bound *= width
        codes.append(code)
        lookups.append(lookup)
    renumbered = combination.dictionary_encode()
    # The first row of each combination (the dictionary keeps the order of first appearance).
    first_rows = pc.index_in(renumbered.dictionary, value_set=combination)
    samples = [
        lookup.take(code.take(first_rows)).to_pylist()
        for code, lookup in zip(codes, lookups, strict=True)
    ]
    objects = []
    for members in zip(*samples, strict=True):
        found = {
            key: value for key, value in zip(columns, members, strict=True) if value is not None
        }
        objects.append(json.dumps(found, ensure_ascii=False) if found else None)
    return pa.array(objects, pa.string()).take(renumbered.indices)


def tags_from_json(
    column: pa.Array, name: str, position: Position, *, braces: bool = False
) -> pa.Array:
    """JSON object text per row, checked once per distinct value (Azure omits the braces)."""

    def convert(value: str) -> str | None:
        body = value.strip()
        if braces and not body.startswith("{"):
            body = "{" + body + "}"
        parsed = json.loads(body)
        if not isinstance(parsed, dict):
            raise ValueError("not a JSON object")
        return json.dumps(parsed, ensure_ascii=False) if parsed else None

    def checked(value: str) -> str | None:
        try:
            return convert(value)
        except json.JSONDecodeError as exc:
            raise ValueError(exc.msg) from None

    return per_value(column, checked, pa.string(), name=name, position=position, what="tags")


def map_value(
    column: pa.Array | pa.ChunkedArray, key: str, name: str, position: Position
) -> pa.Array:
    """The value of key in a map<string, string> column, or in a column of JSON object text
    (CSV), per row; null where the key is missing."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_map(column.type):
        return pc.map_lookup(column, _text(key), "first")

    def convert(value: str) -> str | None:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(exc.msg) from None
        if not isinstance(parsed, dict):
            raise ValueError("not a JSON object")
        found = parsed.get(key)
        return None if found is None else str(found)

    return per_value(
        text(column), convert, pa.string(), name=name, position=position, what="the map"
    )


def tags_from_map(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A map<string, string> column (CUR 2.0 and FOCUS Parquet) as JSON object text.

    Each entry becomes ',"key":"value"' (json.dumps once per distinct key and value), the
    entries of a row are joined by their list offsets, and the first comma is cut; a null or
    empty map is null. A key given twice keeps its last value in jsonb, as in a dict.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    offsets = column.offsets  # absolute positions in the unsliced keys and items
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    keys = _json_literals(pc.cast(column.keys.slice(first, last - first), pa.string()))
    items = pc.fill_null(_json_literals(column.items.slice(first, last - first)), _text("null"))
    entries = pc.binary_join_element_wise(_text(","), keys, _text(":"), items, _text(""))
    starts = pc.cast(pc.subtract(offsets, pa.scalar(first, offsets.type)), pa.int32())
    rows = pa.ListArray.from_arrays(starts, entries, mask=column.is_null())
    joined = pc.binary_join(rows, _text(""))
    body = pc.utf8_slice_codeunits(joined, 1)
    wrapped = pc.binary_join_element_wise(_text("{"), body, _text("}"), _text(""))
    return pc.if_else(pc.equal(joined, _text("")), _text(None), wrapped)


def _json_literals(values: pa.Array) -> pa.Array:
    """Each value as a JSON string literal, quoted and escaped; nulls stay null."""
    encoded = values.dictionary_encode()
    literals = [json.dumps(value, ensure_ascii=False) for value in encoded.dictionary.to_pylist()]
    return pa.array(literals, pa.string()).take(encoded.indices)


def normalised(columns: dict[str, pa.Array], import_id: int) -> pa.Table:
    rows = len(columns["cost"])
    arrays = [
        columns[name] if name != "import_id" else pa.repeat(_int(import_id), rows)
        for name in COPY_COLUMNS
    ]
    return pa.Table.from_arrays(arrays, names=list(COPY_COLUMNS))


_WRITE = pa_csv.WriteOptions(include_header=False, batch_size=65536)


def to_csv(table: pa.Table) -> bytes:
    """The rows in PostgreSQL's COPY csv format: null unquoted and empty, text always quoted."""
    for index, column in enumerate(table.columns):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            table = table.set_column(index, table.field(index).name, _utc_text(column))
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, _WRITE)
    return sink.getvalue()


def _utc_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Zoned times as UTC text ending in Z, which PostgreSQL reads whatever the session zone.

    Arrow's own CSV text for a zoned time goes through the time zone database for every value
    and took most of the CSV writing time; the unzoned text of the same instant is 30x faster.
    """
    utc = pc.cast(column, pa.timestamp(column.type.unit))  # the stored UTC instant, unzoned
    return pc.binary_join_element_wise(pc.cast(utc, pa.string()), _text("Z"), _text(""))


def scope(accounts: pa.Array, periods: pa.Array) -> Iterable[tuple[str, date]]:
    """The distinct (billing account, billing period) pairs a batch covers."""
    pairs = pa.table({"a": accounts, "p": periods}).group_by(["a", "p"]).aggregate([])
    return zip(pairs["a"].to_pylist(), pairs["p"].to_pylist(), strict=True)
