"""API keys and scopes over HTTP (SENTINEL_AUTH=required), with keys stored in PostgreSQL."""

import hashlib
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from sentinel.app import create_app

from .access_helpers import (
    CUR_PARQUET,
    OCTETS,
    bearer,
    make_key,
    problem_of,
    scalar,
    truncate_all,
)

BASE = "/api/v1/billing"
RECORD = {
    "service": "EC2",
    "cost": 1.5,
    "timestamp": "2024-03-01T12:00:00Z",
    "region": "us-east-1",
    "account_id": "123",
}


def _client(settings, **changes) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"auth": "required", **changes})))


@pytest.fixture(scope="module")
def secured(settings) -> Iterator[TestClient]:
    with _client(settings) as client:
        yield client


@pytest.fixture
def keys(database_url: str) -> Iterator[dict[str, str]]:
    truncate_all(database_url)
    yield {
        scope: make_key(database_url, f"{scope}-key", scope) for scope in ("read", "write", "admin")
    }
    truncate_all(database_url)


def test_auth_defaults_follow_the_listening_address(settings) -> None:
    assert not settings.auth_required  # the tests' settings: 127.0.0.1
    assert settings.model_copy(update={"host": "0.0.0.0"}).auth_required
    assert not settings.model_copy(update={"host": "0.0.0.0", "auth": "off"}).auth_required


def test_no_key_is_401_with_a_bearer_challenge(secured, keys) -> None:
    response = secured.get(f"{BASE}/summary")
    body = problem_of(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert body["errors"][0]["field"] == "Authorization"
    assert "Authorization: Bearer" in body["detail"]
    # Writes too, before the body is looked at.
    problem_of(secured.post(f"{BASE}/", json=RECORD), 401)
    assert scalar(secured_url(secured), "select count(*) from sentinel_data.billing_record") == 0


def secured_url(client: TestClient) -> str:
    return client.app.state.settings.database_url


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer sentinel_0123456789ab_" + "A" * 43,  # well formed, no such key
    ],
)
def test_a_bad_token_is_401_invalid_token(secured, keys, authorization: str) -> None:
    response = secured.get(f"{BASE}/summary", headers={"authorization": authorization})
    problem_of(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_right_prefix_with_a_wrong_secret_is_401(secured, keys) -> None:
    token = keys["admin"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = secured.get(f"{BASE}/summary", headers=bearer(forged))
    problem_of(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_read_key_reads_and_may_not_write(secured, keys) -> None:
    read = bearer(keys["read"])
    for path in (f"{BASE}/", f"{BASE}/summary", f"{BASE}/anomalies", f"{BASE}/imports"):
        assert secured.get(path, headers=read).status_code == 200, path
    body = problem_of(secured.post(f"{BASE}/", json=RECORD, headers=read), 403)
    assert "scope write" in body["detail"]
    assert "read-key" in body["detail"]
    problem_of(secured.get("/api/v1/keys", headers=read), 403)


def test_write_key_ingests_imports_but_may_not_administer(secured, keys) -> None:
    write = bearer(keys["write"])
    assert secured.post(f"{BASE}/", json=RECORD, headers=write).status_code == 201
    batch = secured.post(f"{BASE}/batch", json={"records": [RECORD, RECORD]}, headers=write)
    assert batch.status_code == 201
    upload = secured.post(
        f"{BASE}/import", content=CUR_PARQUET.read_bytes(), headers={**write, **OCTETS}
    )
    assert upload.status_code == 201, upload.text
    assert secured.get(f"{BASE}/summary", headers=write).status_code == 200  # write includes read
    for response in (
        secured.post(f"{BASE}/seed?days=1", headers=write),
        secured.get("/api/v1/keys", headers=write),
        secured.delete(f"{BASE}/imports/1", headers=write),
        secured.delete(
            f"{BASE}/",
            params={"service": "EC2", "start": "2024-01-01", "end": "2025-01-01"},
            headers=write,
        ),
    ):
        assert "scope admin" in problem_of(response, 403)["detail"]
    assert scalar(secured_url(secured), "select count(*) from sentinel_data.billing_import") == 1


def test_health_and_docs_stay_open(secured, keys) -> None:
    assert secured.get("/health").json() == {"status": "ok", "service": "sentinel"}
    document = secured.get("/docs/openapi.json")
    assert document.status_code == 200
    assert document.json()["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_seed_needs_admin_and_the_allow_seed_setting(secured, settings, keys) -> None:
    admin = bearer(keys["admin"])
    body = problem_of(secured.post(f"{BASE}/seed?days=1", headers=admin), 403)
    assert body["errors"][0]["field"] == "SENTINEL_ALLOW_SEED"
    assert "SENTINEL_ALLOW_SEED=true" in body["detail"]
    assert scalar(settings.database_url, "select count(*) from sentinel_data.billing_record") == 0
    with _client(settings, allow_seed=True) as allowed:
        response = allowed.post(f"{BASE}/seed?days=1", headers=admin)
        assert response.status_code == 201, response.text
        problem_of(allowed.post(f"{BASE}/seed?days=1", headers=bearer(keys["write"])), 403)
    assert scalar(settings.database_url, "select count(*) from sentinel_data.billing_record") == 144


def test_keys_over_rest_create_list_revoke(secured, database_url, keys) -> None:
    admin = bearer(keys["admin"])
    created = secured.post("/api/v1/keys", json={"name": "ci", "scope": "write"}, headers=admin)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert token.startswith(f"sentinel_{created.json()['prefix']}_")
    # Only the hash is stored: no column of any key holds the token or its secret.
    stored = scalar(
        database_url,
        "select token_sha256 from sentinel_data.api_key where prefix = %(prefix)s",
        {"prefix": created.json()["prefix"]},
    )
    assert stored == hashlib.sha256(token.encode()).digest()
    # The secret may itself hold "_" (base64url), so it is what follows the known prefix; and
    # strpos, not like, where "_" would be a wildcard.
    secret = token.removeprefix(f"sentinel_{created.json()['prefix']}_")
    assert len(secret) >= 40
    leaked = "select count(*) from sentinel_data.api_key as k where strpos(k::text, %(secret)s) > 0"
    assert scalar(database_url, leaked, {"secret": secret}) == 0

    assert secured.post(f"{BASE}/", json=RECORD, headers=bearer(token)).status_code == 201
    listed = secured.get("/api/v1/keys", headers=admin)
    assert listed.status_code == 200
    assert token not in listed.text
    assert "token" not in listed.text
    by_name = {key["name"]: key for key in listed.json()}
    assert set(by_name) == {"ci", "read-key", "write-key", "admin-key"}
    assert by_name["ci"]["scope"] == "write"
    assert by_name["ci"]["last_used_at"] is not None  # it was used above
    assert by_name["read-key"]["last_used_at"] is None

    duplicate = secured.post("/api/v1/keys", json={"name": "ci", "scope": "read"}, headers=admin)
    assert problem_of(duplicate, 409)["errors"][0]["field"] == "name"
    bad = secured.post("/api/v1/keys", json={"name": "no spaces", "scope": "root"}, headers=admin)
    assert {e["field"] for e in problem_of(bad, 422)["errors"]} == {"name", "scope"}

    revoked = secured.delete("/api/v1/keys/ci", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    problem_of(secured.post(f"{BASE}/", json=RECORD, headers=bearer(token)), 401)
    problem_of(secured.delete("/api/v1/keys/ci", headers=admin), 404)


def test_an_origin_is_not_refused_when_keys_are_required(secured, keys) -> None:
    # A browser cannot forge the Authorization header, so a key from any page is the caller's.
    response = secured.post(
        f"{BASE}/", json=RECORD, headers={**bearer(keys["write"]), "origin": "https://x.example"}
    )
    assert response.status_code == 201


def test_openapi_says_what_each_operation_needs(secured, keys) -> None:
    """The document's 401 and 403 are the server's: each operation is called without a key and
    with a read key, and answers 403 exactly where the document says it may."""
    document = secured.get("/docs/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            if not path.startswith("/api/"):
                assert "security" not in operation, path
                assert "401" not in documented, path
                continue
            assert operation["security"] == [{"bearer": []}], path
            url = path.replace("{id}", "1").replace("{monitor_id}", "1").replace("{name}", "x")
            body = {"content": b"{}", "headers": {"content-type": "application/json"}}
            if method not in ("post", "put"):
                body = {}
            anonymous = secured.request(method, url, **body)
            assert anonymous.status_code == 401, (method, path)
            assert "401" in documented, (method, path)
            headers = {**body.get("headers", {}), **bearer(keys["read"])}
            reader = secured.request(method, url, content=body.get("content"), headers=headers)
            assert (reader.status_code == 403) == ("403" in documented), (method, path)
