"""The log formats: every logger (uvicorn's, Litestar's, Sentinel's) through one handler, as
text or as JSON lines, with the request id of the request being handled."""

import json
import logging
from collections.abc import Iterator

import pytest

from sentinel.logs import configure_logging, request_id


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("name", ["uvicorn.error", "litestar", "sentinel.app"])
def test_json_lines_from_every_logger(restore_logging, capsys, name: str) -> None:
    configure_logging(level="info", log_format="json")
    token = request_id.set("req-7")
    try:
        logging.getLogger(name).warning("disk %s", "full")
    finally:
        request_id.reset(token)
    logging.getLogger(name).info("outside a request")
    logging.getLogger(name).debug("below the level")

    lines = capsys.readouterr().err.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["message"] for e in entries] == ["disk full", "outside a request"]
    assert entries[0]["logger"] == name
    assert entries[0]["level"] == "WARNING"
    assert entries[0]["request_id"] == "req-7"
    assert "request_id" not in entries[1]
    assert entries[0]["time"].endswith("Z")


def test_json_keeps_a_traceback_inside_its_line(restore_logging, capsys) -> None:
    configure_logging(level="info", log_format="json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("sentinel.errors").exception("unhandled error")

    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["message"] == "unhandled error"
    assert "ValueError: boom" in entry["exception"]


def test_text_is_one_line_with_the_request_id(restore_logging, capsys) -> None:
    configure_logging(level="info", log_format="text")
    token = request_id.set("req-8")
    try:
        logging.getLogger("uvicorn.error").info("Started server process [1]")
    finally:
        request_id.reset(token)

    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(" INFO uvicorn.error Started server process [1] request_id=req-8")


def test_text_keeps_a_traceback_and_control_characters_inside_its_line(
    restore_logging, capsys
) -> None:
    configure_logging(level="info", log_format="text")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("sentinel.errors").exception("refused %s", "a\nFAKE ERROR line\x1b[2J")

    [line] = capsys.readouterr().err.splitlines()
    assert " ERROR sentinel.errors refused a\\nFAKE ERROR line\\x1b[2J exception=Traceback" in line
    assert line.endswith("ValueError: boom")


def test_configure_replaces_other_handlers(restore_logging, capsys) -> None:
    # What basicConfig or uvicorn's own config would have left: a second format, twice.
    logging.getLogger().addHandler(logging.StreamHandler())
    logging.getLogger("uvicorn").addHandler(logging.StreamHandler())

    configure_logging(level="info", log_format="json")
    logging.getLogger("uvicorn.error").info("once")

    [line] = capsys.readouterr().err.splitlines()
    assert json.loads(line)["message"] == "once"
