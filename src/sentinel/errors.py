"""Every error leaves as RFC 9457 application/problem+json, without driver or SQL text."""

import logging
from http import HTTPStatus
from typing import Any

import psycopg
from litestar.exceptions import (
    ClientException,
    HTTPException,
    SerializationException,
    ValidationException,
)
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from psycopg_pool import PoolTimeout

from sentinel.schemas import ProblemDetails

logger = logging.getLogger("sentinel.errors")

Problem = ProblemDetailsException


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Problem:
    return ProblemDetailsException(
        status_code=status,
        title=HTTPStatus(status).phrase,
        detail=detail,
        extra=extra or None,
        headers=headers,
    )


def invalid_query(key: str, message: str) -> ValidationException:
    """The exception turned into a 422 problem naming the query parameter `key`."""
    return ValidationException(extra=[{"key": key, "message": message, "source": "query"}])


def field_name(key: str) -> str:
    """Litestar's dotted key (records.3.cost) as a reader writes it (records[3].cost)."""
    if not key:
        return "body"
    parts = key.split(".")
    name = parts[0]
    for part in parts[1:]:
        name += f"[{part}]" if part.isdigit() else f".{part}"
    return name


def _validation(exc: ValidationException) -> Problem:
    errors = [
        {
            "field": field_name(str(item.get("key", ""))),
            "message": item.get("message", "invalid value"),
            "source": item.get("source", "body"),
        }
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    for error in errors:
        if error["field"] == "data":  # Litestar's name for a body that is missing altogether
            error.update(field="body", message="a JSON body is required")
    if not errors:  # e.g. a body of the wrong shape altogether
        errors = [{"field": "body", "message": exc.detail, "source": "body"}]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, detail, errors=errors)


def _not_json(reason: str) -> Problem:
    message = f"the request body is not valid JSON ({reason})"
    return problem(400, f"body: {message}", errors=[_body_error(message)])


def _body_error(message: str) -> dict[str, str]:
    return {"field": "body", "message": message, "source": "body"}


def _client(exc: ClientException) -> Problem:
    # Litestar raises a bare ClientException for a body that is not JSON at all; some
    # decoder messages ("Input data was truncated") do not say JSON, but their cause does.
    if "JSON" in exc.detail or isinstance(exc.__cause__, SerializationException):
        return _not_json(exc.detail)
    return _http(exc)


def _http(exc: HTTPException) -> Problem:
    # Headers matter here: a 405 carries Allow (RFC 9110), a 401 would carry WWW-Authenticate.
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    if exc.status_code == 413 and "errors" not in extra:
        extra["errors"] = [_body_error(exc.detail)]
    return problem(exc.status_code, exc.detail, headers=exc.headers, **extra)


# How long a client is told to wait before it tries again after a 503.
RETRY_AFTER = {"Retry-After": "5"}


def _database(exc: psycopg.Error) -> Problem:
    if isinstance(exc, psycopg.DataError):
        # Values that passed validation yet the database refuses. The parameters are validated
        # so that this should not happen; the driver cannot say which field it was.
        logger.warning("database refused a value: %s", exc)
        message = "a value in the request is out of range for storage"
        return problem(
            422, message, errors=[{"field": "request", "message": message, "source": "request"}]
        )
    if isinstance(exc, psycopg.errors.QueryCanceled):
        # statement_timeout (SENTINEL_*_TIMEOUT), or a cancel after the client left.
        logger.warning("statement cancelled: %s", exc)
        return problem(
            503,
            "the request took longer than its time limit; try again later or narrow it",
            headers=RETRY_AFTER,
        )
    if isinstance(exc, psycopg.OperationalError):
        logger.error("database unavailable: %s", exc)
        return problem(503, "the database is unavailable; try again shortly", headers=RETRY_AFTER)
    logger.error("database error", exc_info=exc)
    return problem(500, "internal error; the server log has the details")


def _pool_timeout(exc: PoolTimeout) -> Problem:
    logger.error("no database connection available: %s", exc)
    return problem(
        503, "the database is busy or unavailable; try again shortly", headers=RETRY_AFTER
    )


def _too_deep(exc: RecursionError) -> Problem:
    # A body nested hundreds of levels deep: refused as malformed, not an internal error.
    return _not_json("nested too deeply")


def _unexpected(exc: Exception) -> Problem:
    logger.error("unhandled error", exc_info=exc)
    return problem(500, "internal error; the server log has the details")


def documented(description: str) -> ResponseSpec:
    return ResponseSpec(
        ProblemDetails, description=description, media_type="application/problem+json"
    )


# For the OpenAPI document: the error answers every endpoint can give.
ERROR_RESPONSES: dict[int, ResponseSpec] = {
    400: documented("A malformed request, such as a body that is not JSON"),
    422: documented("A field is invalid; `errors` names each one"),
    503: documented(
        "The database is unavailable or busy, or the request exceeded its time limit; "
        "`Retry-After` says when to try again"
    ),
}
JSON_BODY_RESPONSES: dict[int, ResponseSpec] = {
    413: documented("The body is larger than SENTINEL_MAX_BODY_SIZE"),
    415: documented("The body is not application/json"),
}
IMPORT_RESPONSES: dict[int, ResponseSpec] = {
    413: documented(
        "The upload is beyond SENTINEL_MAX_IMPORT_SIZE, expands beyond "
        "SENTINEL_MAX_IMPORT_EXPANDED_SIZE or SENTINEL_MAX_IMPORT_RATIO, or has a line longer "
        "than SENTINEL_MAX_IMPORT_LINE"
    ),
    415: documented("The body's content type is not one an export file is sent as"),
}
NOT_FOUND_RESPONSE: dict[int, ResponseSpec] = {404: documented("No such record")}


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                ValidationException: _validation,
                ClientException: _client,
                HTTPException: _http,
                psycopg.Error: _database,
                PoolTimeout: _pool_timeout,
                RecursionError: _too_deep,
                Exception: _unexpected,
            }
        )
    )
