"""No forged requests: a web page can make a browser send "simple" requests (form types or
text/plain, or no Content-Type at all, without a preflight) to any address, the server's
loopback port included. So a body is read only when its Content-Type is one a page cannot send
without CORS allowing it, and, with API keys off, a write from another origin is refused.

Each route declares its body in `opt={"body": ...}`: "json" (application/json, optional
charset=utf-8), "export" (billing export files) or "none" (the default for writes).
"""

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from sentinel.auth import Guard
from sentinel.errors import Problem, problem
from sentinel.settings import Settings, origin_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_TYPES = frozenset({"application/json"})
# The types export files travel as; never text/plain or a form type.
EXPORT_TYPES = frozenset(
    {
        "application/octet-stream",
        "text/csv",
        "application/gzip",
        "application/x-gzip",
        "application/zip",
        "application/x-zip-compressed",
        "application/vnd.apache.parquet",
        "application/x-parquet",
        "application/parquet",
    }
)
# What a browser sends cross-site without asking first (the CORS-safelisted types).
SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})


def _header_problem(status: int, header: str, detail: str) -> Problem:
    return problem(
        status, detail, errors=[{"field": header, "message": detail, "source": "header"}]
    )


def media_type(content_type: str) -> tuple[str, dict[str, str]]:
    main, *params = content_type.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"').lower()
    return main.strip().lower(), parsed


def check_content_type(content_type: str | None, body: str) -> None:
    kind, params = media_type(content_type) if content_type else ("", {})
    if body == "json":
        charset = params.get("charset", "utf-8")
        if kind in JSON_TYPES and charset in ("utf-8", "utf8"):
            return
        expected = "application/json (charset utf-8, if given)"
    elif body == "export":
        if kind in EXPORT_TYPES:
            return
        expected = (
            "application/octet-stream or the file's own type ("
            + ", ".join(sorted(EXPORT_TYPES - {"application/octet-stream"}))
            + ")"
        )
    else:
        if kind not in SIMPLE_TYPES:
            return
        expected = "no body (and no form or text Content-Type)"
    sent = content_type or "none"
    raise _header_problem(
        415, "Content-Type", f"Content-Type {sent} is not accepted here; send {expected}"
    )


def own_origins(settings: Settings) -> frozenset[str]:
    """Where this server's own pages come from: its public URL, its loopback addresses on its
    port, and the origins CORS allows. The Host header is not asked: behind DNS rebinding an
    attacker's name points at 127.0.0.1 and Host and Origin agree."""
    origins = {
        origin_of(f"http://{host}:{settings.port}") for host in ("127.0.0.1", "localhost", "[::1]")
    }
    if settings.public_url:
        origins.add(origin_of(settings.public_url))
    origins.update(settings.cors_origins)
    return frozenset(origins)


def forgery_guard(settings: Settings) -> Guard:
    trusted = own_origins(settings)

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        if connection.method in SAFE_METHODS:
            return
        origin = connection.headers.get("origin")
        # With keys required, a browser cannot forge the Authorization header; with them off,
        # the Origin a browser sends on every cross-origin write is what tells a forgery.
        if not settings.auth_required and origin is not None and origin.lower() not in trusted:
            raise _header_problem(
                403,
                "Origin",
                f"requests from origin {origin} are refused; this server accepts writes from "
                "its own origin (SENTINEL_PUBLIC_URL) and SENTINEL_CORS_ORIGINS",
            )
        check_content_type(connection.headers.get("content-type"), handler.opt.get("body", "none"))

    return guard
