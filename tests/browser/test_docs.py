"""The API's own pages in a browser: / leads to the dashboard, /docs works with no network
beyond the server (Swagger UI served from the server's own assets)."""

import httpx

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_the_root_redirects_to_the_dashboard(empty, open_page):
    response = httpx.get(f"{empty.base}/", follow_redirects=False)
    assert response.is_redirect, response.status_code
    assert response.headers["location"].endswith("/ui/")
    page, _ = open_page(empty, "/")
    page.wait_for_url(f"{empty.base}/ui/**")
    assert page.locator("h1").count() == 1


def test_docs_list_every_operation_offline(empty, open_page):
    document = empty.get("/docs/openapi.json").json()
    operations = [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]
    page, guard = open_page(empty, "/docs")
    blocks = page.locator(".swagger-ui .opblock")
    blocks.first.wait_for()
    assert blocks.count() == len(operations)
    # One operation, by its path as Swagger UI shows it.
    assert page.locator(".opblock-summary-path", has_text="/api/v1/billing/summary").count() >= 1
    assert guard.off_host == []
