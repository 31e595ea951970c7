"""Fixtures of the browser tests (`make test-browser`; `make test` does not collect them).

Each server is a real `sentinel serve` on 127.0.0.1 against a database of the session's test
PostgreSQL (tests/conftest.py); every page opens in a context that reaches that server only and
fails the test on a console error, a page error or a request to another host.
"""

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from sentinel.db import create_database, drop_database, url_for_database
from sentinel.migrations import apply_migrations
from tests.browser.harness import (
    Guard,
    Server,
    add_open_spike,
    chromium_executable,
    live_server,
    load_mock_history,
    wait_for_alerts,
)

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError as error:  # not a skip: make test-browser must not pass without a browser
    raise ImportError(
        "the browser tests need Playwright: pip install -e '.[browser]' (make test-browser does)"
    ) from error


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        executable = chromium_executable()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def migrated_database(server_url: str) -> Iterator[Callable[[], str]]:
    """A factory of new, migrated, empty databases on the session's server, dropped at the end.
    Named SENTINEL_TEST_DATABASE_PREFIX_<random> (default sentinel_browser), for a shared
    server whose users keep to a prefix each."""
    prefix = os.environ.get("SENTINEL_TEST_DATABASE_PREFIX", "sentinel_browser")
    created: list[str] = []

    def create() -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        create_database(server_url, name)
        created.append(name)
        url = url_for_database(server_url, name)
        apply_migrations(url)
        return url

    yield create
    for name in created:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def seeded(migrated_database) -> Iterator[Server]:
    """A server on 90 days of mock billing (six services), with the default monitor's alerts
    raised by the server's own evaluator: closed ones on the mock spikes, an open one on EC2's
    newest hour."""
    with live_server(migrated_database()) as server:
        load_mock_history(server)
        add_open_spike(server)
        wait_for_alerts(server, status="open")
        yield server


@pytest.fixture
def empty(migrated_database) -> Iterator[Server]:
    """A server on a database holding no billing records."""
    with live_server(migrated_database()) as server:
        yield server


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., tuple[Page, Guard]]]:
    """open_page(server, path, **context options): a page at server.base + path, in a context
    of its own behind a Guard; every guard is checked when the test ends."""
    opened: list[tuple[object, Guard]] = []

    def open_(server: Server, path: str = "/", **options) -> tuple[Page, Guard]:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        guard = Guard(server.base)
        guard.attach(context)
        opened.append((context, guard))
        page = context.new_page()
        guard.watch(page)
        page.set_default_timeout(15_000)
        page.goto(server.base + path)
        return page, guard

    yield open_
    for context, _ in opened:
        context.close()
    for _, guard in opened:
        guard.check()
