"""Every page of the dashboard on seeded data: one h1, and no value a script failed to format
("null", "undefined", "NaN", "[object Object]") anywhere in the text."""

import re

import pytest

PLACEHOLDERS = re.compile(r"\b(null|undefined|NaN)\b|\[object Object\]|Invalid Date")
PAGES = {
    "overview": ("/ui/", "[data-testid=overview-chart][data-points]"),
    "series": ("/ui/#/series", "[data-testid=series-chart][data-points]"),
    "alerts": ("/ui/#/alerts", "[data-testid=alerts-table] tbody tr"),
    "alert": ("/ui/#/alerts/1", "[data-testid=feedback-yes]"),
    "monitors": ("/ui/#/monitors", "[data-testid=monitors-table] tbody tr"),
    "imports": ("/ui/#/imports", "[data-testid=import-file]"),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_page_shows_no_unformatted_value(seeded, open_page, name):
    path, ready = PAGES[name]
    page, _ = open_page(seeded, path)
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() == 1
    text = page.locator("body").inner_text()
    found = {match.group(0) for match in PLACEHOLDERS.finditer(text)}
    assert not found, f"{name} page shows {found}"


def test_the_skip_link_moves_to_the_content_and_keeps_the_page(seeded, open_page):
    page, _ = open_page(seeded, "/ui/#/alerts")
    page.get_by_test_id("alerts-table").wait_for()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("link => link === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.locator("h1").inner_text() == "Alerts", page.url
    assert page.evaluate("() => document.activeElement.id") == "main"
