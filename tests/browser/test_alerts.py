"""The alerts page (#/alerts): the list, an alert's page, and feedback stored by its buttons."""

import time


def test_feedback_on_an_alert_is_stored(seeded, open_page):
    alerts = seeded.get("/api/v1/alerts/").json()
    page, _ = open_page(seeded, "/ui/#/alerts")
    table = page.get_by_test_id("alerts-table")
    table.wait_for()
    assert page.locator("h1").count() == 1
    assert table.locator("tbody tr").count() == len(alerts)
    unrated = next(a for a in alerts if a["feedback"] is None)
    table.locator(f'a[href="#/alerts/{unrated["id"]}"]').click()
    page.get_by_test_id("feedback-yes").click()
    page.wait_for_selector("[data-testid=feedback-yes][aria-pressed=true]")
    deadline = time.monotonic() + 10
    while (stored := seeded.get(f"/api/v1/alerts/{unrated['id']}").json())["feedback"] is None:
        assert time.monotonic() < deadline, "no feedback stored within 10 s of the click"
        time.sleep(0.2)
    assert stored["feedback"] == "yes"
    assert seeded.get("/api/v1/alerts/stats").json()["rated_yes"] >= 1


def test_an_alert_links_to_its_series_with_the_flag_drawn(seeded, open_page):
    alert = seeded.get("/api/v1/alerts/", status="closed").json()[0]
    page, _ = open_page(seeded, f"/ui/#/alerts/{alert['id']}")
    page.get_by_role("link", name="See this series around the alert").click()
    page.wait_for_selector("[data-testid=series-chart][data-points]")
    assert page.locator("h1").inner_text() == "Series"
    assert int(page.get_attribute("[data-testid=series-chart]", "data-flagged")) >= 1
