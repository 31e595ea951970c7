"""Access settings and the forgery rules, without a database."""

import pytest
from pydantic import ValidationError

from sentinel.forgery import check_content_type, own_origins
from sentinel.keys import grants, new_token, token_sha256
from sentinel.settings import Settings, is_loopback, origin_of


@pytest.mark.parametrize(
    ("host", "required"),
    [
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("localhost", False),
        ("0.0.0.0", True),
        ("::", True),
        ("10.0.0.5", True),
        ("sentinel.example", True),
    ],
)
def test_auth_is_required_beyond_loopback(host: str, required: bool) -> None:
    assert is_loopback(host) is not required
    assert Settings(_env_file=None, host=host).auth_required is required


def test_auth_setting_overrides_the_address(monkeypatch) -> None:
    monkeypatch.setenv("SENTINEL_AUTH", "off")
    assert not Settings(_env_file=None, host="0.0.0.0").auth_required
    monkeypatch.setenv("SENTINEL_AUTH", "required")
    assert Settings(_env_file=None).auth_required
    monkeypatch.setenv("SENTINEL_AUTH", "maybe")
    with pytest.raises(ValidationError, match="auth"):
        Settings(_env_file=None)


def test_cors_origins_are_comma_separated_and_normalised(monkeypatch) -> None:
    monkeypatch.setenv("SENTINEL_CORS_ORIGINS", "https://Dash.example:443, http://localhost:3000")
    assert Settings(_env_file=None).cors_origins == [
        "https://dash.example",
        "http://localhost:3000",
    ]
    monkeypatch.setenv("SENTINEL_CORS_ORIGINS", "dash.example")
    with pytest.raises(ValidationError, match="cors_origins"):
        Settings(_env_file=None)


def test_public_url_must_be_http_without_query(monkeypatch) -> None:
    monkeypatch.setenv("SENTINEL_PUBLIC_URL", "https://sentinel.example/")
    assert Settings(_env_file=None).public_url == "https://sentinel.example"
    for bad in ("sentinel.example", "ftp://x", "https://x/?a=1"):
        monkeypatch.setenv("SENTINEL_PUBLIC_URL", bad)
        with pytest.raises(ValidationError, match="public_url"):
            Settings(_env_file=None)


def test_own_origins() -> None:
    settings = Settings(_env_file=None, port=9000, public_url="https://s.example")
    assert own_origins(settings) == {
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://[::1]:9000",
        "https://s.example",
    }
    assert origin_of("http://x.example:80/a") == "http://x.example"


@pytest.mark.parametrize(
    ("content_type", "body", "accepted"),
    [
        ("application/json", "json", True),
        ("application/json; charset=UTF-8", "json", True),
        ('application/json; charset="utf-8"', "json", True),
        ("application/json; charset=utf-16", "json", False),
        ("text/plain", "json", False),
        (None, "json", False),
        ("application/octet-stream", "export", True),
        ("text/csv; header=present", "export", True),
        ("application/gzip", "export", True),
        ("text/plain", "export", False),
        ("application/x-www-form-urlencoded", "export", False),
        (None, "export", False),
        (None, "none", True),
        ("application/json", "none", True),
        ("multipart/form-data; boundary=a", "none", False),
        ("text/plain", "none", False),
    ],
)
def test_content_types(content_type: str | None, body: str, accepted: bool) -> None:
    if accepted:
        check_content_type(content_type, body)
    else:
        with pytest.raises(Exception, match="Content-Type"):
            check_content_type(content_type, body)


def test_tokens_and_scopes() -> None:
    prefix, token = new_token()
    assert token.startswith(f"sentinel_{prefix}_")
    assert len(token_sha256(token)) == 32
    assert new_token()[1] != token
    assert grants("admin", "read")
    assert grants("write", "write")
    assert not grants("write", "admin")
    assert not grants("read", "write")
