"""No forged requests (auth off, the loopback default): content types, Origin, CORS, links."""

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from sentinel.app import create_app

from .access_helpers import CUR_PARQUET, FOCUS_CSV, OCTETS, problem_of, scalar, truncate_all

BASE = "/api/v1/billing"
RECORD_JSON = (
    b'{"service":"EC2","cost":1.5,"timestamp":"2024-03-01T12:00:00Z",'
    b'"region":"us-east-1","account_id":"123"}'
)
COUNT = "select count(*) from sentinel_data.billing_record"


@pytest.fixture
def empty(database_url: str) -> Iterator[str]:
    truncate_all(database_url)
    yield database_url
    truncate_all(database_url)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonx",
    ],
)
def test_json_endpoints_refuse_other_content_types(
    app_client, empty: str, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    for path, body in ((f"{BASE}/", RECORD_JSON), (f"{BASE}/batch", b'{"records":[]}')):
        response = app_client.post(path, content=body, headers=headers)
        body_ = problem_of(response, 415)
        assert body_["errors"][0]["field"] == "Content-Type"
        assert "application/json" in body_["detail"]
    assert scalar(empty, COUNT) == 0


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_with_or_without_charset_is_stored(app_client, empty: str, content_type) -> None:
    response = app_client.post(
        f"{BASE}/", content=RECORD_JSON, headers={"content-type": content_type}
    )
    assert response.status_code == 201, response.text
    assert scalar(empty, COUNT) == 1


def test_import_refuses_text_and_forms_and_keeps_what_was_imported(app_client, empty) -> None:
    # The forgery the probe found: a one-row FOCUS file as text/plain replaced 300 rows.
    first = app_client.post(f"{BASE}/import", content=FOCUS_CSV.read_bytes(), headers=OCTETS)
    assert first.status_code == 201, first.text
    stored = scalar(empty, COUNT)
    assert stored == first.json()["row_count"] > 0
    head = b"\n".join(FOCUS_CSV.read_bytes().splitlines()[:2]) + b"\n"
    for content_type in (
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ):
        headers = {"content-type": content_type} if content_type else {}
        response = app_client.post(f"{BASE}/import", content=head, headers=headers)
        assert problem_of(response, 415)["errors"][0]["field"] == "Content-Type"
    assert scalar(empty, COUNT) == stored
    assert scalar(empty, "select count(*) from sentinel_data.billing_import") == 1


@pytest.mark.parametrize(
    "content_type", ["application/vnd.apache.parquet", "application/x-parquet", "application/zip"]
)
def test_import_takes_the_formats_own_types(app_client, empty, content_type: str) -> None:
    # The type is only a gate: the format is still recognised from the content.
    response = app_client.post(
        f"{BASE}/import", content=CUR_PARQUET.read_bytes(), headers={"content-type": content_type}
    )
    assert response.status_code == 201, response.text
    assert response.json()["row_count"] == 300


def test_seed_refuses_a_form_post(app_client, empty: str) -> None:
    response = app_client.post(
        f"{BASE}/seed?days=1", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    problem_of(response, 415)
    assert scalar(empty, COUNT) == 0


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost:3000"])
def test_writes_from_another_origin_are_refused(app_client, empty: str, origin: str) -> None:
    for response in (
        app_client.post(f"{BASE}/seed?days=1", headers={"origin": origin}),
        app_client.post(
            f"{BASE}/",
            content=RECORD_JSON,
            headers={"origin": origin, "content-type": "application/json"},
        ),
        app_client.delete(f"{BASE}/imports/1", headers={"origin": origin}),
    ):
        body = problem_of(response, 403)
        assert body["errors"][0]["field"] == "Origin"
        assert origin in body["detail"]
    assert scalar(empty, COUNT) == 0
    # Reads are not refused: the same-origin policy keeps their answers from the page.
    assert app_client.get(f"{BASE}/summary", headers={"origin": origin}).status_code == 200


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"]
)
def test_writes_from_the_servers_own_origin_pass(app_client, empty: str, origin: str) -> None:
    response = app_client.post(f"{BASE}/seed?days=1", headers={"origin": origin})
    assert response.status_code == 201, response.text


def test_cors_is_off_by_default_and_configurable(app_client, settings, empty: str) -> None:
    preflight = {
        "origin": "https://dash.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
    }
    answer = app_client.options(f"{BASE}/", headers=preflight)
    assert "access-control-allow-origin" not in answer.headers
    plain = app_client.get(f"{BASE}/summary", headers={"origin": "https://dash.example"})
    assert "access-control-allow-origin" not in plain.headers

    configured = settings.model_copy(update={"cors_origins": ["https://dash.example"]})
    with TestClient(create_app(configured)) as client:
        answer = client.options(f"{BASE}/", headers=preflight)
        assert answer.status_code in (200, 204)
        assert answer.headers["access-control-allow-origin"] == "https://dash.example"
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        # A configured origin is trusted for writes with auth off.
        response = client.post(f"{BASE}/seed?days=1", headers={"origin": "https://dash.example"})
        assert response.status_code == 201
        other = client.options(f"{BASE}/", headers={**preflight, "origin": "https://x.example"})
        assert other.headers.get("access-control-allow-origin") != "https://x.example"


def _store_three(client: TestClient) -> None:
    records = [
        {
            "service": "A",
            "cost": cost,
            "timestamp": "2024-03-01T00:00:00Z",
            "region": "r",
            "account_id": "a",
        }
        for cost in (1, 2, 3)
    ]
    assert client.post(f"{BASE}/batch", json={"records": records}).status_code == 201


def test_links_are_relative_and_never_from_host(app_client, empty: str) -> None:
    _store_three(app_client)
    response = app_client.get(
        f"{BASE}/", params={"limit": 2, "service": "A"}, headers={"host": "evil.example"}
    )
    assert response.status_code == 200
    link = response.headers["link"]
    assert "evil.example" not in link
    assert link.startswith("</api/v1/billing?")
    assert "after_id=2" in link
    assert link.endswith('>; rel="next"')
    following = app_client.get(link[1 : link.index(">")])
    assert [row["cost"] for row in following.json()] == [3]


def test_links_use_the_public_url(settings, empty: str) -> None:
    public = settings.model_copy(update={"public_url": "https://sentinel.example/"})
    with TestClient(create_app(public)) as client:
        _store_three(client)
        response = client.get(f"{BASE}/", params={"limit": 1}, headers={"host": "evil.example"})
    link = response.headers["link"]
    assert link.startswith("<https://sentinel.example/api/v1/billing?")
    assert "after_id=1" in link
