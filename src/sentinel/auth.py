"""API keys on the REST API: a guard that checks `Authorization: Bearer <token>` against the
scope each route declares (`opt={"scope": ...}` on the route itself, so it is read where the
route is). Routes outside /api/ (/health, /docs) are open.
"""

from collections.abc import Awaitable, Callable

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.routes import HTTPRoute

from sentinel.errors import Problem, documented, problem
from sentinel.keys import SCOPES, Scope, authenticate, grants
from sentinel.queries import Queries
from sentinel.settings import Settings

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


def required_scope(connection: ASGIConnection, handler: BaseRouteHandler) -> Scope | None:
    """The scope a request needs: the route's declaration; else, under /api/, read for a GET
    and admin for anything else (a route that forgot to say is closed, not open)."""
    declared = handler.opt.get("scope")
    if declared is not None:
        return declared
    if not connection.url.path.startswith("/api/") or connection.method == "OPTIONS":
        return None
    return "read" if connection.method in ("GET", "HEAD") else "admin"


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized(detail: str, *, invalid: bool) -> Problem:
    # RFC 6750: a token that was sent but is not valid says so in the challenge.
    challenge = 'Bearer realm="sentinel"' + (', error="invalid_token"' if invalid else "")
    return problem(
        401,
        detail,
        headers={"WWW-Authenticate": challenge},
        errors=[{"field": "Authorization", "message": detail, "source": "header"}],
    )


def api_key_guard(settings: Settings, queries: Queries) -> Guard:
    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        need = required_scope(connection, handler)
        if need is None or not settings.auth_required:
            return
        token = bearer_token(connection.headers.get("authorization"))
        if token is None:
            raise _unauthorized(
                "an API key is required: send Authorization: Bearer <token> "
                "(`sentinel keys create` makes one)",
                invalid=False,
            )
        async with connection.app.state.pool.connection() as conn:
            key = await authenticate(conn, queries, token=token)
        if key is None:
            raise _unauthorized("the API key is unknown or revoked", invalid=True)
        # Who asked, for the records that keep it (alert feedback).
        connection.state.api_key_name = key.name
        if not grants(key.scope, need):
            detail = (
                f"this request needs an API key with scope {need}; key {key.name!r} has {key.scope}"
            )
            raise problem(
                403,
                detail,
                errors=[{"field": "Authorization", "message": detail, "source": "header"}],
            )

    return guard


def check_declared_scopes(app: Litestar) -> None:
    """Fail at start-up, naming the route, when a route declares a scope that does not exist;
    and say in the OpenAPI document what each operation needs (before the document is made,
    which happens at its first request): the bearer scheme, a 401, and a 403 where a key of the
    lowest scope is not enough. Operations outside /api/ (/health, /docs) declare no security."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            scope = handler.opt.get("scope")
            if scope is not None and scope not in SCOPES:
                raise ValueError(f"{route.path}: unknown scope {scope!r} (one of {SCOPES})")
            if scope is None and route.path.startswith("/api/"):
                scope = "read" if handler.http_methods <= {"GET", "HEAD"} else "admin"
            if scope is not None:
                handler.security = [{"bearer": []}]
                handler.responses = {**(handler.responses or {}), **access_responses(scope)}


def access_responses(scope: Scope) -> dict[int, ResponseSpec]:
    denied = {401: documented("No API key, or an unknown or revoked one (SENTINEL_AUTH=required)")}
    if scope != SCOPES[0]:
        denied[403] = documented(f"The API key's scope is below {scope}")
    return denied
