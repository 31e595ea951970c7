"""Every HTTP request gets an id (the caller's if sane), returned in X-Request-ID, and exactly
one log line carrying it; 404s and 405s included."""

import logging
import re

import pytest

HEX_ID = re.compile(r"[0-9a-f]{32}")


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "sentinel.request"]


def test_an_incoming_request_id_is_kept_and_logged_once(app_client, caplog) -> None:
    with caplog.at_level(logging.INFO):
        response = app_client.get("/health", headers={"X-Request-ID": "trace-42.a:b"})

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-42.a:b"
    [line] = _request_lines(caplog)
    assert line.request_id == "trace-42.a:b"
    assert (line.method, line.path, line.status) == ("GET", "/health", 200)
    assert line.duration_ms >= 0
    assert line.getMessage().startswith("GET /health 200 ")


@pytest.mark.parametrize("sent", ["has space", "x" * 129, "naïve", ""])
def test_an_unsafe_request_id_is_replaced(app_client, caplog, sent: str) -> None:
    with caplog.at_level(logging.INFO):
        response = app_client.get("/health", headers={"X-Request-ID": sent.encode("latin-1")})

    returned = response.headers["x-request-id"]
    assert HEX_ID.fullmatch(returned)
    assert [line.request_id for line in _request_lines(caplog)] == [returned]


def test_each_request_gets_its_own_id(app_client) -> None:
    first = app_client.get("/health").headers["x-request-id"]
    second = app_client.get("/health").headers["x-request-id"]

    assert HEX_ID.fullmatch(first)
    assert HEX_ID.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no/such/route", 404), ("DELETE", "/health", 405)],
)
def test_unrouted_requests_are_logged_with_an_id(
    app_client, caplog, method: str, path: str, status: int
) -> None:
    with caplog.at_level(logging.INFO):
        response = app_client.request(method, path, headers={"X-Request-ID": "r-1"})

    assert response.status_code == status
    assert response.headers["x-request-id"] == "r-1"
    [line] = _request_lines(caplog)
    assert (line.method, line.path, line.status, line.request_id) == (method, path, status, "r-1")


def test_a_percent_escaped_newline_stays_escaped_in_the_log(app_client, caplog) -> None:
    with caplog.at_level(logging.INFO):
        app_client.get("/no%0Aforged INFO line?x=%0A")

    [line] = _request_lines(caplog)
    assert "\n" not in line.getMessage()
    assert line.path == "/no%0Aforged%20INFO%20line?x=%0A"
