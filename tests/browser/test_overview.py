"""The overview (#/): every service charted, the hint on an empty database, dark mode."""

import re
from datetime import datetime

from sentinel.seed import DAILY_PROFILES
from tests.browser.harness import data_attr, sentinel

DRAWN = "[data-testid=overview-chart][data-points]"
OPEN_ALERTS = "Open alerts"  # the series of red points marking open alerts


def test_the_overview_charts_every_service(seeded, open_page):
    services = sorted(row["service"] for row in seeded.get("/api/v1/billing/summary").json())
    costs = seeded.get("/api/v1/billing/costs", granularity="day", group_by="service").json()
    days = {row["bucket"][:10] for row in costs}
    opened = seeded.get("/api/v1/alerts/", status="open", limit=1000).json()
    marked = {datetime.fromisoformat(a["started_at"]).date().isoformat() for a in opened} & days
    page, _ = open_page(seeded, "/ui/")
    page.wait_for_selector(DRAWN)
    assert page.locator("h1").count() == 1
    drawn = data_attr(page, "overview-chart", "series")
    assert sorted(name for name in drawn if name != OPEN_ALERTS) == services
    assert marked, "the seeded fixture holds an open alert in the last 30 days"
    assert OPEN_ALERTS in drawn
    # One value per service and day of /costs, and one mark per day an open alert started.
    assert data_attr(page, "overview-chart", "points") == len(costs) + len(marked)


def test_an_empty_database_shows_how_to_load_data_until_it_is_seeded(empty, open_page):
    page, _ = open_page(empty, "/ui/")
    page.get_by_role("heading", name="No billing data yet").wait_for()
    assert page.get_by_text(re.compile(r"sentinel seed")).count() >= 1
    assert page.get_by_text(re.compile(r"sentinel import")).count() >= 1
    assert page.locator("h1").count() == 1
    assert page.get_by_test_id("overview-chart").count() == 0
    # What the hint says to run, then the page again: the chart.
    sentinel(empty.database_url, "seed", "--days", "30")
    page.reload()
    page.wait_for_selector(DRAWN)
    drawn = data_attr(page, "overview-chart", "series")
    assert sorted(name for name in drawn if name != OPEN_ALERTS) == sorted(DAILY_PROFILES)


def background(page) -> tuple[int, ...]:
    """The page's background colour as (r, g, b): the body's, else the root element's."""
    color = page.evaluate(
        """() => {
            for (const element of [document.body, document.documentElement]) {
                const color = getComputedStyle(element).backgroundColor;
                if (color && color !== "rgba(0, 0, 0, 0)" && color !== "transparent") return color;
            }
            return "rgb(255, 255, 255)";
        }"""
    )
    return tuple(int(part) for part in re.findall(r"\d+", color)[:3])


def luminance(rgb: tuple[int, ...]) -> float:
    red, green, blue = (channel / 255 for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_dark_mode_follows_the_system_setting(seeded, open_page):
    light, _ = open_page(seeded, "/ui/", color_scheme="light")
    dark, _ = open_page(seeded, "/ui/", color_scheme="dark")
    for page in (light, dark):
        page.wait_for_selector(DRAWN)
    assert luminance(background(light)) > 0.6, background(light)
    assert luminance(background(dark)) < 0.3, background(dark)
