"""How the `sentinel` command prints a listing: on a terminal a table as wide as the terminal,
folding long values instead of cutting them; piped or redirected, plain tab-separated rows with
one header line (as `gh` does), never cut or wrapped, for `cut`, `awk` or a spreadsheet; or
JSON (`--format json`) with every field of the rows, as the REST API gives them."""

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

FORMATS = ("auto", "table", "tsv", "json")
# TSV cells cannot hold a tab or a line break: escaped as PostgreSQL's COPY text format does.
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False
    # Left out of a table when no row has a value (e.g. account while grouping by service);
    # TSV keeps every column, so that scripts see the same columns whatever the data.
    optional: bool = False
    # Free text (names, root causes) folds onto more lines when the terminal is narrow; the
    # other columns (numbers, times, short words) stay whole.
    wrap: bool = False
    # On a terminal too narrow for every column, those with the highest number are left out
    # first; 0: always shown.
    drop: int = 0


def add_format_option(parser: argparse.ArgumentParser, *, default: str = "auto") -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default,
        help="auto (default): a table on a terminal, tab-separated when piped; or json",
    )


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def show(
    console: Console,
    *,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    models: Sequence[BaseModel],
    output: str = "auto",
) -> None:
    """Print `rows` (or, as JSON, `models`) in the format asked for; auto decides by whether
    stdout is a terminal. The title is shown above a table only: TSV and JSON hold data alone."""
    if output == "json":
        data = [model.model_dump(mode="json") for model in models]
        print(json.dumps(data, indent=2, ensure_ascii=False), file=console.file, flush=True)
    elif output == "tsv" or (output == "auto" and not console.is_terminal):
        # Numbers without thousands separators, as a spreadsheet or awk reads them.
        plain = [
            [
                cell.replace(",", "") if column.numeric else cell
                for column, cell in zip(columns, row, strict=True)
            ]
            for row in rows
        ]
        lines = [[column.header for column in columns], *plain]
        console.file.write("".join(_tsv_line(line) for line in lines))
        console.file.flush()
    else:
        console.print(table(console, title=title, columns=columns, rows=rows), crop=False)


def _tsv_line(cells: Sequence[str]) -> str:
    return "\t".join(cell.translate(_TSV_ESCAPES) for cell in cells) + "\n"


def table(
    console: Console, *, title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> Table:
    """At most the console's width. Columns without values are left out; when the rest is
    still wider than the terminal, the columns marked to drop go first (the caption names
    them: TSV and JSON keep every one), then text folds onto more lines; numbers stay whole."""
    kept = [
        index
        for index, column in enumerate(columns)
        if not column.optional or any(row[index] for row in rows)
    ]
    hidden: list[str] = []
    while True:
        result = _table(title, columns, rows, kept, hidden)
        droppable = [index for index in kept if columns[index].drop]
        if not droppable or _natural_width(console, result) <= console.width:
            least = _least_width(columns, rows, kept)
            if least > console.width:
                # Too narrow even for the columns that stay whole: as wide as they need, the
                # lines uncut (the terminal wraps them), rather than a number cut short.
                result.width = least
            return result
        dropped = max(droppable, key=lambda index: (columns[index].drop, index))
        kept.remove(dropped)
        hidden.append(columns[dropped].header)


def _natural_width(console: Console, renderable: Table) -> int:
    return Measurement.get(console, console.options.update_width(100_000), renderable).maximum


def _least_width(columns: Sequence[Column], rows: Sequence[Sequence[str]], kept: list[int]) -> int:
    """The narrowest the table can be: each whole column as wide as its widest value, each
    folding one its min_width; two spaces of padding and a rule between columns and an edge on
    either side (box.SIMPLE_HEAD without edge padding)."""
    widths = [
        _min_width(columns[index])
        if columns[index].wrap
        else max(cell_len(text) for text in [columns[index].header, *(row[index] for row in rows)])
        for index in kept
    ]
    return sum(widths) + 3 * len(kept) - 1


def _min_width(column: Column) -> int:
    # A folded column keeps room for a word, so it never shrinks to nothing.
    return min(len(column.header), 10)


def _table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    kept: list[int],
    hidden: list[str],
) -> Table:
    # Text, not markup: a service named "[red]x" prints as it is. No vertical rules: a column
    # costs its width and two spaces, as in `kubectl get`.
    caption = (
        f"not shown at this width: {', '.join(hidden)} (--format tsv or json)" if hidden else None
    )
    result = Table(
        title=Text(title),
        caption=None if caption is None else Text(caption),
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
    )
    for index in kept:
        column = columns[index]
        result.add_column(
            column.header,
            justify="right" if column.numeric else "left",
            overflow="fold" if column.wrap else "ellipsis",
            no_wrap=not column.wrap,
            min_width=_min_width(column) if column.wrap else None,
        )
    for row in rows:
        result.add_row(*(Text(row[index] or "-") for index in kept))
    return result
