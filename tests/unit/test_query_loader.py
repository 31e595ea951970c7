"""The query layer: every .sql file is one statement, loaded once, and a bad file fails by name."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sentinel.db import QueryFileError, load_queries, resource_dir
from sentinel.queries import Queries, _copy_text

QUERY_DIR = resource_dir("sql") / "queries"


def test_every_query_file_is_loaded_by_its_stem() -> None:
    queries = load_queries(QUERY_DIR)

    assert set(queries) == {path.stem for path in QUERY_DIR.glob("*.sql")}
    for name, text in queries.items():
        assert text, name
        assert not text.endswith(";"), name  # psycopg gets exactly one statement


def test_every_wrapper_has_its_query_file() -> None:
    wrappers = {name for name in vars(Queries) if not name.startswith("_")}
    assert wrappers <= set(load_queries(QUERY_DIR))
    Queries()  # and the real directory passes the constructor's own check


def test_file_text_is_kept_with_its_header_comment(tmp_path: Path) -> None:
    (tmp_path / "count_things.sql").write_text("-- How many.\nselect 1 as one;\n\n")

    assert load_queries(tmp_path) == {"count_things": "-- How many.\nselect 1 as one"}


def test_only_sql_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "one.sql").write_text("select 1")
    (tmp_path / "README.md").write_text("not SQL; two; three;")

    assert set(load_queries(tmp_path)) == {"one"}


def test_two_statements_fail_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "good.sql").write_text("select 1")
    (tmp_path / "double_trouble.sql").write_text("select 1;\nselect 2;\n")

    with pytest.raises(QueryFileError, match=r"double_trouble\.sql.*more than one statement"):
        load_queries(tmp_path)


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n", "-- only a comment\n", "/* only\n a block comment */", ";", " ; \n"],
    ids=["empty", "blank", "line-comment", "block-comment", "semicolon", "blank-semicolon"],
)
def test_file_without_a_statement_fails_naming_the_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "hollow.sql").write_text(text)

    with pytest.raises(QueryFileError, match=r"hollow\.sql.*no SQL statement"):
        load_queries(tmp_path)


def test_missing_wrapper_file_fails_naming_the_file(tmp_path: Path) -> None:
    directory = tmp_path / "queries"
    shutil.copytree(QUERY_DIR, directory)
    (directory / "find_anomalies.sql").unlink()

    with pytest.raises(QueryFileError, match=r"missing query files: find_anomalies\.sql"):
        Queries(directory)


def test_bad_file_fails_when_queries_are_built(tmp_path: Path) -> None:
    directory = tmp_path / "queries"
    shutil.copytree(QUERY_DIR, directory)
    (directory / "summarize_costs.sql").write_text("select 1; drop table x")

    with pytest.raises(QueryFileError, match=r"summarize_costs\.sql"):
        Queries(directory)


@pytest.mark.parametrize(
    "text",
    [
        "-- keep it short; one statement\nselect 1",
        "select 1 -- trailing comment; not a statement\n",
        "/* a; b; c */ select 1;",
        "/* multi-line;\n   comment; */\nselect 1",
        "select ';' as semicolon",
        "select 'it''s; fine' as quoted",
        "select 'a;b' as x, '--' as y, '/*' as z;",
        "select 1 as x;   -- the end; really\n",
    ],
)
def test_semicolon_in_comment_or_string_is_not_a_second_statement(
    tmp_path: Path, text: str
) -> None:
    (tmp_path / "one.sql").write_text(text)

    loaded = load_queries(tmp_path)["one"]

    assert "select" in loaded
    assert not loaded.endswith(";")


def test_string_after_a_comment_marker_still_counts(tmp_path: Path) -> None:
    # The '--' inside the literal is not a comment, so the second statement is seen.
    (tmp_path / "sneaky.sql").write_text("select '--' as x; select 2")

    with pytest.raises(QueryFileError, match=r"sneaky\.sql"):
        load_queries(tmp_path)


def test_copy_text_escapes_names_only_when_a_chunk_needs_it() -> None:
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    plain = {"service": "s", "cost": 2.5, "timestamp": stamp, "region": "r", "account_id": "a"}
    special = {**plain, "service": "a\tb", "region": "x\\y", "account_id": "n\nl\r"}
    assert _copy_text([plain]) == b"s\t2.5\t2025-01-01T00:00:00+00:00\tr\ta\tf\n"
    # One name with a tab, a backslash, a newline and a return: every name is escaped.
    assert _copy_text([special, plain]) == (
        b"a\\tb\t2.5\t2025-01-01T00:00:00+00:00\tx\\\\y\tn\\nl\\r\tf\n"
        b"s\t2.5\t2025-01-01T00:00:00+00:00\tr\ta\tf\n"
    )
