"""The imports page (#/imports): an upload with its progress, the history row, the rows stored."""

from tests.browser.harness import DATA

SAMPLE = DATA / "focus_sample_300.csv"


def test_an_upload_completes_and_is_stored(empty, open_page):
    page, _ = open_page(empty, "/ui/#/imports")
    page.get_by_test_id("import-file").set_input_files(SAMPLE)
    assert page.locator("h1").count() == 1
    page.get_by_role("button", name="Upload and import").click()
    progress = page.get_by_test_id("import-progress")
    progress.wait_for()
    page.wait_for_function(
        """() => {
            const bar = document.querySelector("[data-testid=import-progress]");
            return bar.value >= bar.max;
        }"""
    )
    page.get_by_test_id("imports-table").locator("tr", has_text=SAMPLE.name).wait_for()
    imports = empty.get("/api/v1/billing/imports").json()
    assert [(i["file_name"], i["status"]) for i in imports] == [(SAMPLE.name, "imported")]
    assert imports[0]["row_count"] == 300, imports[0]
    assert empty.get("/api/v1/billing/summary").json() != []
