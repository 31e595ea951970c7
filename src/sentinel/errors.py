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


def _client(exc: ClientException) -> Problem:
    # Litestar raises a bare ClientException for a body that is not JSON at all; some
    # decoder messages ("Input data was truncated") do not say JSON, but their cause does.
    if "JSON" in exc.detail or isinstance(exc.__cause__, SerializationException):
        return problem(400, f"body: the request body is not valid JSON ({exc.detail})")
    return _http(exc)


def _http(exc: HTTPException) -> Problem:
    # Headers matter here: a 405 carries Allow (RFC 9110), a 401 would carry WWW-Authenticate.
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    return problem(exc.status_code, exc.detail, headers=exc.headers, **extra)


def _database(exc: psycopg.Error) -> Problem:
    if isinstance(exc, psycopg.DataError):
        # Values that passed validation yet the database refuses (an id out of range, say).
        return problem(422, "a value in the request is out of range for storage")
    if isinstance(exc, psycopg.OperationalError):
        logger.error("database unavailable: %s", exc)
        return problem(503, "the database is unavailable; try again shortly")
    logger.error("database error", exc_info=exc)
    return problem(500, "internal error; the server log has the details")


def _pool_timeout(exc: PoolTimeout) -> Problem:
    logger.error("no database connection available: %s", exc)
    return problem(503, "the database is busy or unavailable; try again shortly")


def _unexpected(exc: Exception) -> Problem:
    logger.error("unhandled error", exc_info=exc)
    return problem(500, "internal error; the server log has the details")


def _documented(description: str) -> ResponseSpec:
    return ResponseSpec(
        ProblemDetails, description=description, media_type="application/problem+json"
    )


# For the OpenAPI document: the error answers every endpoint can give.
ERROR_RESPONSES: dict[int, ResponseSpec] = {
    400: _documented("A malformed request, such as a body that is not JSON"),
    422: _documented("A field is invalid; `errors` names each one"),
    503: _documented("The database is unavailable"),
}
NOT_FOUND_RESPONSE: dict[int, ResponseSpec] = {404: _documented("No such record")}


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                ValidationException: _validation,
                ClientException: _client,
                HTTPException: _http,
                psycopg.Error: _database,
                PoolTimeout: _pool_timeout,
                Exception: _unexpected,
            }
        )
    )
