"""The series view (#/series?service=): the cost line, the expected band, the flagged points."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from tests.browser.harness import data_attr

DRAWN = "[data-testid=series-chart][data-points]"
BAND = ("expected", "upper_bound", "lower_bound")


def test_the_series_around_an_alert_draws_its_band_and_flags(seeded, open_page):
    alert = seeded.get("/api/v1/alerts/").json()[0]
    started = datetime.fromisoformat(alert["started_at"])
    # What the alert page links to: three days either side, at the alert's granularity.
    params = {
        "service": alert["service"],
        "granularity": alert["granularity"],
        "start": (started - timedelta(days=3)).isoformat(),
        "end": (datetime.fromisoformat(alert["last_flagged_at"]) + timedelta(days=3)).isoformat(),
    }
    points = seeded.get("/api/v1/billing/series", **params).json()
    flagged = [point for point in points if point["anomaly"]]
    assert flagged
    page, _ = open_page(seeded, f"/ui/#/series?{urlencode(params)}")
    page.wait_for_selector(DRAWN)
    assert page.locator("h1").count() == 1
    assert data_attr(page, "series-chart", "series") == [
        f"{alert['service']}: cost",
        "Expected",
        "Upper bound",
        "Lower bound",
        "Flagged",
    ]
    assert data_attr(page, "series-chart", "flagged") == len(flagged)
    # Every bucket's cost, every bound the detector gave, and one point per flagged bucket.
    band = sum(point[name] is not None for point in points for name in BAND)
    assert data_attr(page, "series-chart", "points") == len(points) + band + len(flagged)
    assert page.get_by_test_id("flagged-table").locator("tbody tr").count() == len(flagged)
