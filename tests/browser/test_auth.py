"""With API keys required: the key form, and a read key kept for the tab only (sessionStorage),
never in the URL or localStorage."""

import pytest

from tests.browser.harness import create_key, live_server


@pytest.fixture
def guarded(seeded):
    """A second server on the seeded database, with keys required."""
    with live_server(seeded.database_url, auth="required") as server:
        yield server


def test_a_read_key_entered_once_serves_every_page(guarded, open_page):
    token = create_key(guarded.database_url, "browser-read", "read")
    page, guard = open_page(guarded, "/ui/")
    # Chromium logs every 401 answer as a console error; the first calls have no key yet.
    guard.allow(r"status of 401")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    field = page.locator("input[type=password]")
    field.wait_for()
    field.fill(token)
    field.press("Enter")
    page.wait_for_selector("[data-testid=overview-chart][data-points]")

    page.goto(f"{guarded.base}/ui/#/alerts")
    page.get_by_test_id("alerts-table").wait_for()
    page.reload()
    page.get_by_test_id("alerts-table").wait_for()
    assert page.locator("input[type=password]").count() == 0

    stored = page.evaluate("() => Object.values(sessionStorage)")
    assert token in stored
    assert page.evaluate("() => Object.values(localStorage)") == []
    assert token not in page.url
    assert not [url for url in requested if token in url]
