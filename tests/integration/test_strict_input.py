"""Strict, named input (issue 9, item 6): no 500 for odd input, every 4xx names its field, and
the OpenAPI document says what the server enforces."""

import pytest

RECORD = {
    "service": "s",
    "cost": 1.5,
    "timestamp": "2024-01-01T00:00:00Z",
    "region": "r",
    "account_id": "a",
}
JSON = {"content-type": "application/json"}

OCTET = {"content-type": "application/octet-stream"}


def fields(response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "body", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000], ids=["array", "object"]
)
def test_json_nested_a_thousand_deep_is_400(client, body):
    response = client.post("/api/v1/billing/", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert fields(response) == ["body"]


@pytest.mark.parametrize("record_id", ["9" * 5000, "9223372036854775808", "-" + "9" * 30])
def test_an_id_beyond_bigint_is_404(client, record_id):
    response = client.get(f"/api/v1/billing/{record_id}")
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "Billing Record not found"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cost": True}, "cost"),
        ({"cost": "12"}, "cost"),
        ({"is_anomaly": "yes"}, "is_anomaly"),
        ({"is_anomaly": 1}, "is_anomaly"),
    ],
)
def test_cost_is_a_json_number_and_is_anomaly_a_boolean(client, change, field):
    one = client.post("/api/v1/billing/", json={**RECORD, **change})
    batch = client.post("/api/v1/billing/batch", json={"records": [RECORD, {**RECORD, **change}]})
    assert one.status_code == 422, one.text
    assert fields(one) == [field]
    assert batch.status_code == 422, batch.text
    assert fields(batch) == [f"records[1].{field}"]
    assert client.get("/api/v1/billing/?limit=10").json() == []


def test_integers_and_booleans_still_pass(client):
    response = client.post("/api/v1/billing/", json={**RECORD, "cost": 12, "is_anomaly": True})
    assert response.status_code == 201, response.text
    assert (response.json()["cost"], response.json()["is_anomaly"]) == (12.0, True)


def test_a_cost_beyond_double_is_400_naming_the_body(client):
    body = (
        b'{"service":"s","cost":1e400,"timestamp":"2024-01-01T00:00:00Z",'
        b'"region":"r","account_id":"a"}'
    )
    response = client.post("/api/v1/billing/", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert fields(response) == ["body"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/billing/?service=a%00b", "service"),
        ("/api/v1/billing/?region=a%00b&limit=5", "region"),
        ("/api/v1/billing/?account_id=a%00b", "account_id"),
        ("/api/v1/billing/?after_id=9223372036854775808&limit=1", "after_id"),
        ("/api/v1/billing/?after_id=9223372036854775808", "after_id"),
        ("/api/v1/billing/?service=" + "x" * 129, "service"),
    ],
)
def test_bad_query_parameters_are_422_naming_them(client, url, field):
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]


def test_a_nul_in_the_import_filename_is_422_naming_it(client):
    response = client.post("/api/v1/billing/import?filename=a%00b", content=b"a,b\n", headers=OCTET)
    assert response.status_code == 422, response.text
    assert fields(response) == ["filename"]


@pytest.fixture(scope="module")
def openapi(app_client) -> dict:
    return app_client.get("/docs/openapi.json").json()


def test_openapi_describes_the_import_body_and_its_refusals(openapi):
    upload = openapi["paths"]["/api/v1/billing/import"]["post"]
    media = upload["requestBody"]["content"]
    assert "application/octet-stream" in media
    assert "application/vnd.apache.parquet" in media
    assert "text/plain" not in media
    assert media["text/csv"]["schema"] == {"type": "string", "format": "binary"}
    assert {"413", "415", "503"} <= set(upload["responses"])
    record = openapi["paths"]["/api/v1/billing"]["post"]["responses"]
    assert {"400", "413", "415", "422"} <= set(record)


def test_openapi_has_the_bounds_the_server_enforces(openapi):
    record = openapi["components"]["schemas"]["BillingRecordIn"]["properties"]
    assert (record["cost"]["minimum"], record["cost"]["maximum"]) == (-1e12, 1e12)
    assert record["cost"]["type"] == "number"
    assert record["is_anomaly"]["type"] == "boolean"
    assert (record["service"]["minLength"], record["service"]["maxLength"]) == (1, 128)
    params = {
        p["name"]: p["schema"] for p in openapi["paths"]["/api/v1/billing"]["get"]["parameters"]
    }
    assert params["after_id"]["maximum"] == 2**63 - 1
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 10_000)
    assert params["service"]["maxLength"] == 128


def test_openapi_overlapping_alternatives_are_any_of(openapi):
    ok = openapi["paths"]["/api/v1/billing/anomalies"]["get"]["responses"]["200"]
    schema = ok["content"]["application/json"]["schema"]
    assert "oneOf" not in schema
    assert [alt["type"] for alt in schema["anyOf"]] == ["array", "array"]


def test_a_nul_in_the_alerts_service_filter_is_422_naming_it(client):
    response = client.get("/api/v1/alerts?service=a%00b")
    assert response.status_code == 422, response.text
    assert fields(response) == ["service"]


def test_the_readme_lists_every_operation(openapi):
    """The README's REST tables name every method and path the server serves (path parameters
    by any name), so that nobody needs the code to find an endpoint."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    listed = set()
    for methods, path in re.findall(r"^\| ([A-Z /]+) \| `([^`?]+)", readme, re.MULTILINE):
        for method in methods.split(" / "):
            listed.add((method.strip(), re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))))
    served = {
        (method.upper(), re.sub(r"\{[^}]*\}", "{}", path.rstrip("/")))
        for path, operations in openapi["paths"].items()
        for method in operations
    }
    assert served - listed == set()
