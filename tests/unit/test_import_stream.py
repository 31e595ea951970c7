"""The upload stream's limits, without a database: line length across chunk boundaries,
expansion ratio, size while receiving, and the header read that is replayed."""

import gzip
import io

import pytest

from sentinel.importers.stream import (
    RATIO_FLOOR,
    Body,
    ExportTooLarge,
    ImportLimits,
    Limited,
    Replay,
    read_header_line,
)

LIMITS = ImportLimits(max_size=1 << 30, max_expanded=1 << 30, max_ratio=100, max_line=10)


def drain(stream: io.RawIOBase, chunk: int = 7) -> bytes:
    out = bytearray()
    while data := stream.read(chunk):
        out += data
    return bytes(out)


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_lines_up_to_the_limit_pass_in_any_chunking(chunk):
    text = b"0123456789\n" * 5 + b"\n\nabc\n0123456789"
    assert drain(Limited(io.BytesIO(text), "f", LIMITS), chunk) == text


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_a_line_one_byte_too_long_is_refused_with_its_number(chunk):
    text = b"ok\n" * 3 + b"0123456789A\nok\n"
    with pytest.raises(ExportTooLarge, match="SENTINEL_MAX_IMPORT_LINE") as refused:
        drain(Limited(io.BytesIO(text), "f", LIMITS), chunk)
    assert refused.value.line == 4


def test_the_ratio_is_judged_once_the_floor_is_decompressed():
    compressed = gzip.compress(b"0123456\n" * (RATIO_FLOOR // 8 + 1000), compresslevel=9)
    limits = ImportLimits(1 << 30, 1 << 40, max_ratio=100, max_line=100)
    raw = io.BytesIO(compressed)
    stream = Limited(gzip.GzipFile(fileobj=raw), "f", limits, received=raw.tell)
    with pytest.raises(ExportTooLarge, match="SENTINEL_MAX_IMPORT_RATIO"):
        drain(stream, 1 << 20)
    assert stream.expanded <= RATIO_FLOOR + (1 << 20)


def test_the_body_counts_and_refuses_beyond_the_size_while_receiving():
    chunks = iter([b"a" * 600, b"b" * 600, b""])
    body = Body(lambda: next(chunks), "f", ImportLimits(1000, 1 << 30, 100, 100))
    assert body.read(600) == b"a" * 600
    with pytest.raises(ExportTooLarge, match="SENTINEL_MAX_IMPORT_SIZE"):
        body.read(600)


def test_the_header_line_is_read_to_its_newline_outside_quotes_and_replayed():
    text = b'"a\nb",c\n1,2\n'
    stream = io.BytesIO(text)
    header = read_header_line(stream, "f", 1000)
    assert header.startswith(b'"a\nb",c\n')
    assert drain(Replay(header, stream)) == text
