"""Path and query parameters shared by the routes: any integer is a well-formed id (a 404 when
no row has it), never a 500; a text filter that PostgreSQL cannot hold is a 422 naming it."""

from typing import Annotated, Any

from litestar.params import Parameter, PathParameter

from sentinel.errors import Problem, problem

BIGINT_MAX = 2**63 - 1
INTEGER_PATTERN = r"^-?[0-9]+$"
NO_NUL_PATTERN = r"^[^\x00]*$"


# A string with an integer's pattern, so that "abc" is a 422 naming the field rather than a
# 404 for an unknown route.
IdPath = Annotated[str, PathParameter(pattern=INTEGER_PATTERN, description="An id, an integer")]


def text_filter(max_length: int, description: str | None = None) -> Any:
    """A text query filter: no NUL (PostgreSQL text cannot hold one) and no longer than the
    stored field can be, so that a bad value is a 422 naming its parameter."""
    return Parameter(max_length=max_length, pattern=NO_NUL_PATTERN, description=description)


def as_id(text: str) -> int | None:
    """The id, or None when no row can have it (beyond bigint). Checked on the digits first:
    int() of thousands of digits is refused by Python, and slow."""
    digits = text.lstrip("-")
    if len(digits) > len(str(BIGINT_MAX)) or abs(int(text)) > BIGINT_MAX:
        return None
    return int(text)


def not_found(what: str, field: str = "id") -> Problem:
    detail = f"no such {what}"
    return problem(404, detail, errors=[{"field": field, "message": detail, "source": "path"}])
