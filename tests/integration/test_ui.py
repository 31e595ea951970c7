"""The dashboard's server side: `/` leads to it, its files are served with a strict CSP and
without a key (even with keys required), every module it imports is there, and /docs loads
only this server's own assets."""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from litestar.testing import TestClient

import sentinel
from sentinel.app import create_app

UI = Path(sentinel.__file__).parent / "ui"
ABSOLUTE_URL = re.compile(r"""(?:src|href)\s*=\s*['"]?((?:https?:)?//[^'" >]+)""", re.IGNORECASE)


class _References(HTMLParser):
    """The URLs a page loads: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


@pytest.fixture(scope="module")
def secured(settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"auth": "required"}))) as client:
        yield client


def test_root_redirects_to_the_dashboard(app_client) -> None:
    response = app_client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/ui/"


def test_the_dashboard_needs_no_key_and_has_a_strict_csp(secured) -> None:
    response = secured.get("/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    # The API behind it still wants the key.
    assert secured.get("/api/v1/billing/summary").status_code == 401


def test_every_page_asset_and_module_is_served_with_its_type(app_client) -> None:
    html = app_client.get("/ui/").text
    assert not ABSOLUTE_URL.findall(html)
    types = {".js": "javascript", ".css": "text/css"}
    assets = [url for url in _references(html) if not url.startswith("data:")]
    # The ES modules: every file under ui/ (pages too), as the browser will import them.
    modules = [f"/ui/{path.relative_to(UI).as_posix()}" for path in UI.rglob("*.js")]
    for url in [*assets, *modules]:
        response = app_client.get(url)
        assert response.status_code == 200, url
        assert types[Path(url).suffix] in response.headers["content-type"], url
        assert response.headers["x-content-type-options"] == "nosniff", url


def test_module_imports_name_files_that_exist() -> None:
    """A typo in an import is a blank page in the browser; here it is a failing test."""
    for module in UI.rglob("*.js"):
        if "vendor" in module.parts:
            continue
        for target in re.findall(r"""^import .* from "(\.[^"]+)";""", module.read_text(), re.M):
            assert (module.parent / target).resolve().is_file(), (module, target)


def test_a_missing_file_is_404_under_the_same_headers(app_client) -> None:
    response = app_client.get("/ui/no-such-file.js")
    assert response.status_code == 404
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_dashboard_is_not_in_the_openapi_document(app_client) -> None:
    paths = app_client.get("/docs/openapi.json").json()["paths"]
    assert not [path for path in paths if path == "/" or path.startswith("/ui")]


def test_docs_load_only_local_assets(secured) -> None:
    response = secured.get("/docs")
    assert response.status_code == 200
    html = response.text
    # Nothing absolute at all: every asset comes from this server.
    assert not ABSOLUTE_URL.findall(html), ABSOLUTE_URL.findall(html)
    urls = _references(html)
    expected = {
        "/ui/vendor/swagger-ui/swagger-ui-bundle.js": "javascript",
        "/ui/vendor/swagger-ui/swagger-ui-standalone-preset.js": "javascript",
        "/ui/vendor/swagger-ui/swagger-ui.css": "text/css",
        "/ui/vendor/swagger-ui/favicon-32x32.png": "image/png",
    }
    assert set(urls) == set(expected)
    for url, kind in expected.items():
        asset = secured.get(url)
        assert asset.status_code == 200, url
        assert kind in asset.headers["content-type"], url
