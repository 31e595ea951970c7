"""Uploads read as they arrive, under limits: nothing is stored whole before it is looked at.

The request body is pulled chunk by chunk from the event loop by the importer's worker thread,
so the receiving side never runs ahead of the parser (backpressure comes for free) and memory
stays at a few CSV blocks whatever the upload's size. CSV and gzip are parsed straight from the
wire; Parquet and zip need random access, so they are spooled to a temporary file, with the
size limit enforced while receiving.
"""

import gzip
import hashlib
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sentinel.importers.base import ExportError

# How much must have been decompressed before the ratio is judged: a small file may well
# expand a hundredfold (a header and a few repeated lines), and is harmless at that size.
RATIO_FLOOR = 64 << 20
RECEIVE_CHUNK = 1 << 20


class ExportTooLarge(ExportError):
    """An upload beyond one of the size limits (answered 413)."""


@dataclass(frozen=True)
class ImportLimits:
    max_size: int  # bytes received
    max_expanded: int  # bytes after decompression
    max_ratio: float  # expanded / received, once RATIO_FLOOR bytes have been expanded
    max_line: int  # bytes of one CSV line


class Body(io.RawIOBase):
    """The upload as a blocking binary stream, for a worker thread.

    `pull()` returns the next chunk of the request body (b"" at its end); it is called from the
    reading thread and runs the receive on the event loop. Every byte is counted against the
    size limit and hashed for the import history.
    """

    def __init__(self, pull: Callable[[], bytes], name: str, limits: ImportLimits) -> None:
        self._pull, self._name, self._limits = pull, name, limits
        self._pending = b""
        self._ended = False
        self.received = 0
        self._digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._pending and not self._ended:
            chunk = self._pull()
            if not chunk:
                self._ended = True
                break
            self.received += len(chunk)
            if self.received > self._limits.max_size:
                raise ExportTooLarge(
                    self._name,
                    f"the upload is larger than SENTINEL_MAX_IMPORT_SIZE "
                    f"({self._limits.max_size} bytes)",
                )
            self._digest.update(chunk)
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def hexdigest(self) -> str:
        """The SHA-256 of the whole body; reads (and hashes) whatever the parser left."""
        while self.read(RECEIVE_CHUNK):
            pass
        return self._digest.hexdigest()


class Limited(io.RawIOBase):
    """The text of an export as it is decompressed, refused once it breaks a limit.

    `received()` is the count of compressed bytes read so far, for the ratio. Lines are
    counted in bytes between newlines (a newline inside a quoted value counts as one too,
    which only makes the limit stricter).
    """

    def __init__(
        self,
        inner: IO[bytes],
        name: str,
        limits: ImportLimits,
        received: Callable[[], int] | None = None,
    ) -> None:
        self._inner, self._name, self._limits = inner, name, limits
        self._received = received
        self.expanded = 0
        self._run = 0  # bytes since the last newline
        self.lines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        try:
            data = self._inner.read(len(buffer))
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ExportError(
                self._name,
                f"the compressed stream ends early or is damaged after line {self.lines + 1} "
                f"({exc}); nothing was stored",
            ) from None
        if not data:
            return 0
        self.expanded += len(data)
        self._check_size()
        self._check_lines(data)
        buffer[: len(data)] = data
        return len(data)

    def _check_size(self) -> None:
        limits = self._limits
        if self.expanded > limits.max_expanded:
            raise ExportTooLarge(
                self._name,
                f"the upload expands beyond SENTINEL_MAX_IMPORT_EXPANDED_SIZE "
                f"({limits.max_expanded} bytes)",
            )
        if self._received is not None and self.expanded > RATIO_FLOOR:
            ratio = self.expanded / max(self._received(), 1)
            if ratio > limits.max_ratio:
                raise ExportTooLarge(
                    self._name,
                    f"the upload expands more than SENTINEL_MAX_IMPORT_RATIO "
                    f"({limits.max_ratio:g}) times its compressed size",
                )

    def _check_lines(self, data: bytes) -> None:
        """Refuse a line longer than max_line, in about len(data)/max_line searches."""
        limit = self._limits.max_line
        start = -self._run  # index in `data` of the current line's first byte
        size = len(data)
        while True:
            window = (max(start, 0), start + limit + 1)
            last = data.rfind(b"\n", *window)
            if last < 0:
                if start + limit + 1 <= size:
                    raise ExportTooLarge(
                        self._name,
                        f"a line is longer than SENTINEL_MAX_IMPORT_LINE ({limit} bytes)",
                        line=self.lines + 1,
                    )
                self._run = size - start
                return
            self.lines += data.count(b"\n", *window)
            start = last + 1


class Replay(io.RawIOBase):
    """`prefix` (already read to find the header) and then the rest of `inner`."""

    def __init__(self, prefix: bytes, inner: IO[bytes]) -> None:
        self._prefix, self._inner = prefix, inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def read_header_line(stream: IO[bytes], name: str, limit: int) -> bytes:
    """The first CSV record's bytes (up to and including its newline), at most `limit` long.

    A quoted header name may hold a newline: the record ends at the first newline outside
    quotes, that is after an even count of quote characters.
    """
    prefix = bytearray()
    while True:
        chunk = stream.read(64 << 10)
        if not chunk:
            return bytes(prefix)
        prefix += chunk
        end = 0
        while (newline := prefix.find(b"\n", end)) >= 0:
            if prefix.count(b'"', 0, newline) % 2 == 0:
                return bytes(prefix)
            end = newline + 1
        if len(prefix) > limit:
            raise ExportTooLarge(
                name, f"the header line is longer than SENTINEL_MAX_IMPORT_LINE ({limit} bytes)"
            )


def spool(first: bytes, body: IO[bytes], path: Path) -> None:
    """Write the upload to `path` (Parquet, zip): the body enforces the size limit."""
    with path.open("wb") as sink:
        sink.write(first)
        while chunk := body.read(RECEIVE_CHUNK):
            sink.write(chunk)
