"""The series view (#/series?service=): the cost line, the expected band, the flagged points."""

from tests.browser.harness import data_attr

DRAWN = "[data-testid=series-chart][data-points]"


def test_the_series_of_an_alerted_service_draws_its_band_and_flags(seeded, open_page):
    alert = seeded.get("/api/v1/alerts/").json()[0]
    service = alert["service"]
    points = seeded.get("/api/v1/billing/series", service=service).json()
    assert any(point["anomaly"] for point in points)
    page, _ = open_page(seeded, f"/ui/#/series?service={service}")
    page.wait_for_selector(DRAWN)
    assert page.locator("h1").count() == 1
    drawn = [name.lower() for name in data_attr(page, "series-chart", "series")]
    assert any("cost" in name for name in drawn), drawn
    assert any("expected" in name or "band" in name for name in drawn), drawn
    assert any("flag" in name or "anomal" in name for name in drawn), drawn
    assert data_attr(page, "series-chart", "points") == len(points)
