"""The alerts page (#/alerts): the list, and feedback stored through the buttons."""

import time


def test_feedback_on_an_alert_is_stored(seeded, open_page):
    alerts = seeded.get("/api/v1/alerts/").json()
    page, _ = open_page(seeded, "/ui/#/alerts")
    table = page.get_by_test_id("alerts-table")
    table.wait_for()
    assert page.locator("h1").count() == 1
    rows = table.locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() >= len([a for a in alerts if a["feedback"] is None])
    unrated = next(a for a in alerts if a["feedback"] is None)
    table.get_by_text(str(unrated["id"]), exact=True).first.click()
    page.get_by_test_id("feedback-yes").click()
    deadline = time.monotonic() + 10
    while (stored := seeded.get(f"/api/v1/alerts/{unrated['id']}").json())["feedback"] is None:
        assert time.monotonic() < deadline, "no feedback stored within 10 s of the click"
        time.sleep(0.2)
    assert stored["feedback"]["verdict"] == "yes", stored["feedback"]
    assert seeded.get("/api/v1/alerts/stats").json()["rated_yes"] >= 1
