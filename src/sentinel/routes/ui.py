"""The dashboard: static files under /ui (HTML, ES modules, CSS and the vendored libraries), `/`
leading to it, and the local assets /docs loads instead of a CDN's.

The files are public (they hold no data): the guard needs no key for them, since they are outside
/api/; the pages' own API calls carry the key. They are left out of the OpenAPI document.
"""

from pathlib import Path

from litestar import Router, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
UI_PATH = "/ui"
VENDOR_URL = f"{UI_PATH}/vendor"
FAVICON = f"{VENDOR_URL}/swagger-ui/favicon-32x32.png"

# Everything from this server and nothing inline: a script injected into a page (say, a service
# name that slipped past escaping) cannot run, and no page can frame the dashboard. uPlot sizes
# and places its elements through element.style, which style-src does not govern.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
UI_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def ui_headers(app: ASGIApp) -> ASGIApp:
    """Add the UI's security headers to every answer under /ui, files and 404s alike (a static
    file response is a raw ASGI response, which Litestar's response_headers do not reach)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *UI_HEADERS]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


@get("/", include_in_schema=False)
async def root() -> Redirect:
    return Redirect(f"{UI_PATH}/")


def ui_router() -> Router:
    return create_static_files_router(
        path=UI_PATH,
        directories=[UI_DIR],
        # /ui/ serves index.html.
        html_mode=True,
        name="ui",
        include_in_schema=False,
        middleware=[ui_headers],
        # Revalidate every time: a new Sentinel's files must not mix with a cached old app.js.
        cache_control=CacheControlHeader(no_cache=True),
    )


def swagger_plugin() -> SwaggerRenderPlugin:
    """Swagger UI for /docs from the vendored files (README in ui/vendor), with a local favicon:
    Litestar's defaults load all three, and its favicon, from CDNs."""
    return SwaggerRenderPlugin(
        js_url=f"{VENDOR_URL}/swagger-ui/swagger-ui-bundle.js",
        css_url=f"{VENDOR_URL}/swagger-ui/swagger-ui.css",
        standalone_preset_js_url=f"{VENDOR_URL}/swagger-ui/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{FAVICON}'>",
    )
