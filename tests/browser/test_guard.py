"""The fence itself: a test behind it must fail on another host, a console error or a page error
(otherwise every other browser test could pass while the page is broken)."""

import pytest

from tests.browser.harness import Guard


def test_the_guard_records_other_hosts_and_errors(browser, empty):
    context = browser.new_context()
    guard = Guard(empty.base)
    guard.attach(context)
    page = context.new_page()
    guard.watch(page)
    page.goto(f"{empty.base}/health")
    page.evaluate(
        """async () => {
            console.error("logged by the page");
            setTimeout(() => { throw new Error("thrown by the page"); });
            await fetch("https://example.com/x").catch(() => null);
            await new Promise((resolve) => setTimeout(resolve, 100));
        }"""
    )
    context.close()
    assert guard.off_host == ["https://example.com/x"]
    assert any("logged by the page" in error for error in guard.errors), guard.errors
    assert any("thrown by the page" in error for error in guard.errors), guard.errors
    with pytest.raises(AssertionError):
        guard.check()
