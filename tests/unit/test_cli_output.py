"""Listings of the `sentinel` command: a table within the terminal's width, TSV when piped."""

import io
import json

import pytest
from pydantic import BaseModel
from rich.console import Console

from sentinel.cli_output import Column, show

SERVICE = "Amazon Elastic Compute Cloud Dedicated Hosts Reserved Capacity Far Region"
COLUMNS = [
    Column("id", numeric=True),
    Column("service", wrap=True),
    Column("account", optional=True, wrap=True),
    Column("started"),
    Column("cost", numeric=True),
    Column("expected", numeric=True, drop=2),
    Column("upper", numeric=True, drop=1),
]
ROWS = [
    ["1", SERVICE, "", "2026-09-15 00:00", "1,234.5000", "12.0000", "15.0000"],
    ["2", "S3", "", "2026-09-15 01:00", "3.0000", "2.0000", "2.5000"],
]


class Row(BaseModel):
    id: int
    service: str


def terminal(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=width, color_system=None), out


def test_a_terminal_gets_a_table_within_its_width_that_folds_long_text() -> None:
    console, out = terminal(70)

    show(console, title="2 anomalies", columns=COLUMNS, rows=ROWS, models=[])

    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 70
    assert "…" not in text
    for word in SERVICE.split():  # folded onto more lines, never cut
        assert word in text
    assert "1,234.5000" in text
    assert "account" not in text  # no row has one
    assert "2 anomalies" in text


def test_a_table_without_rows_has_its_header() -> None:
    console, out = terminal(30)

    show(console, title="0 anomalies", columns=COLUMNS, rows=[], models=[])

    assert "0 anomalies" in out.getvalue()
    assert "started" in out.getvalue()


def test_a_narrow_terminal_leaves_out_the_columns_marked_to_drop_and_says_so() -> None:
    wide, wide_out = terminal(200)
    show(wide, title="t", columns=COLUMNS, rows=ROWS, models=[])
    assert "upper" in wide_out.getvalue()
    assert "not shown" not in wide_out.getvalue()

    narrow, out = terminal(40)
    show(narrow, title="t", columns=COLUMNS, rows=ROWS, models=[])

    text = " ".join(out.getvalue().split())
    assert "not shown at this width: expected, upper (--format tsv or json)" in text
    assert "15.0000" not in text
    assert "1,234.5000" in text


def test_piped_output_is_tab_separated_whole_rows_with_plain_numbers() -> None:
    out = io.StringIO()  # not a terminal
    console = Console(file=out, width=20)
    rows = [["1", "a\tb\\c", "", "2026-09-15 00:00", "1,234.5000", "1.0000", "2.0000"]]

    show(console, title="not printed", columns=COLUMNS, rows=[*ROWS[:1], *rows], models=[])

    lines = out.getvalue().splitlines()
    assert lines[0] == "id\tservice\taccount\tstarted\tcost\texpected\tupper"
    assert lines[1].split("\t") == [
        "1",
        SERVICE,
        "",
        "2026-09-15 00:00",
        "1234.5000",
        "12.0000",
        "15.0000",
    ]
    assert lines[2].split("\t")[1] == "a\\tb\\\\c"  # escaped as COPY text is
    assert "not printed" not in out.getvalue()


@pytest.mark.parametrize("name", ["[red]x[/red]", "[bold"])
def test_values_are_not_read_as_markup(name: str) -> None:
    console, out = terminal(80)

    show(console, title=name, columns=COLUMNS[:2], rows=[["1", name]], models=[])

    assert out.getvalue().count(name) == 2  # the title and the cell, as they are


def test_json_gives_the_models_whole() -> None:
    console, out = terminal(20)

    show(
        console,
        title="t",
        columns=COLUMNS,
        rows=ROWS,
        models=[Row(id=1, service=SERVICE)],
        output="json",
    )

    assert json.loads(out.getvalue()) == [{"id": 1, "service": SERVICE}]
