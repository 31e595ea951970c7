"""Bounded work (issue 9, items 3-5): uploads read as they arrive under limits, statement
timeouts, cancel on disconnect, short pool waits, readiness, lists that fail before their 200."""

import gzip
import hashlib
import os
import threading
import time
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from litestar.testing import TestClient

from sentinel.app import create_app
from sentinel.migrations import apply_migrations, pending_migrations
from tests.integration.live import live_server
from tests.integration.outage import Relay

DATA = Path(__file__).parents[1] / "data"
FOCUS_CSV = DATA / "focus_sample_300.csv"
MB = 1 << 20

OCTET = {"content-type": "application/octet-stream"}


@pytest.fixture
def clean(database_url: str):
    def truncate() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "truncate sentinel_data.billing_record, sentinel_data.billing_import"
                " restart identity"
            )

    truncate()
    yield database_url
    truncate()


def stored(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        records = conn.execute("select count(*) from sentinel_data.billing_record").fetchone()
        imports = conn.execute("select count(*) from sentinel_data.billing_import").fetchone()
    return records[0], imports[0]


def app_with(settings, **changes):
    return TestClient(create_app(settings.model_copy(update=changes)))


def gzip_bomb(first: bytes, block: bytes, total: int) -> bytes:
    """`first` then `block` repeated up to `total` bytes, as a multi-member gzip (valid gzip:
    readers go on to the next member), written member by member without ever holding the
    expanded text: each member compresses one block."""
    member = gzip.compress(block, compresslevel=9, mtime=0)
    return gzip.compress(first, mtime=0) + member * (total // len(block))


# --- uploads --------------------------------------------------------------------------------


def test_gzip_upload_streams_and_identical_bytes_store_nothing(client, clean):
    body = gzip.compress(FOCUS_CSV.read_bytes())
    first = client.post("/api/v1/billing/import?filename=focus.csv.gz", content=body, headers=OCTET)
    assert first.status_code == 201, first.text
    assert (first.json()["row_count"], first.json()["status"]) == (300, "imported")
    # The checksum is computed while streaming and must be the file's.
    assert first.json()["checksum"] == hashlib.sha256(body).hexdigest()
    again = client.post("/api/v1/billing/import", content=body, headers=OCTET)
    assert again.status_code == 201, again.text
    assert again.json()["status"] == "unchanged"
    assert again.json()["unchanged_of"] == first.json()["id"]
    assert stored(clean) == (300, 2)  # the second upload's rows were rolled back


def test_size_limit_from_content_length_and_while_receiving(settings, clean):
    body = FOCUS_CSV.read_bytes()
    with app_with(settings, max_import_size=4096) as small:
        declared = small.post("/api/v1/billing/import", content=body, headers=OCTET)
        chunked = small.post(
            "/api/v1/billing/import",
            content=(body[i : i + 1000] for i in range(0, len(body), 1000)),
            headers=OCTET,
        )
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "file"
        assert "SENTINEL_MAX_IMPORT_SIZE" in response.json()["detail"]
    assert stored(clean) == (0, 0)


def test_line_length_limit(settings, clean):
    header, _, rest = FOCUS_CSV.read_bytes().partition(b"\n")
    long_line = b"x" * 5000 + b"\n"
    with app_with(settings, max_import_line=4096) as small:
        in_header = small.post(
            "/api/v1/billing/import", content=b"y" * 5000 + b"\n" + rest, headers=OCTET
        )
        in_rows = small.post(
            "/api/v1/billing/import", content=header + b"\n" + rest + long_line, headers=OCTET
        )
    for response in (in_header, in_rows):
        assert response.status_code == 413, response.text
        assert "SENTINEL_MAX_IMPORT_LINE" in response.json()["detail"]
    assert "line 302" in in_rows.json()["detail"]  # header, 300 rows, then the long one
    assert stored(clean) == (0, 0)


def test_expanded_size_limit(settings, clean):
    body = gzip.compress(FOCUS_CSV.read_bytes())
    with app_with(settings, max_import_expanded_size=50_000) as small:
        response = small.post("/api/v1/billing/import", content=body, headers=OCTET)
    assert response.status_code == 413, response.text
    assert "SENTINEL_MAX_IMPORT_EXPANDED_SIZE" in response.json()["detail"]
    assert stored(clean) == (0, 0)


def _peak_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    process = psutil.Process(pid)
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.01)


def test_a_1_gb_gzip_bomb_is_refused_in_bounded_memory(clean):
    """Through the real server: its resident memory may not grow by 100 MB while it refuses
    two bombs of 1 GiB each, one of zeros (no line ever ends) and one of valid CSV rows."""
    header, _, rows = FOCUS_CSV.read_bytes().partition(b"\n")
    line = rows.split(b"\n")[0] + b"\n"
    zeros = gzip_bomb(b"", bytes(MB), 1 << 30)
    csv_rows = gzip_bomb(header + b"\n", line * (MB // len(line)), 1 << 30)
    assert len(zeros) < 2 * MB
    assert len(csv_rows) < 10 * MB
    with live_server(clean) as (base, process):
        before = psutil.Process(process.pid).memory_info().rss
        peak, stop = [before], threading.Event()
        watcher = threading.Thread(target=_peak_rss, args=(process.pid, stop, peak))
        watcher.start()
        try:
            answers = [
                httpx.post(f"{base}/api/v1/billing/import", content=bomb, timeout=60, headers=OCTET)
                for bomb in (zeros, csv_rows)
            ]
        finally:
            stop.set()
            watcher.join()
    statuses = [a.status_code for a in answers]
    assert statuses == [413, 413], [a.text for a in answers]
    assert "SENTINEL_MAX_IMPORT_LINE" in answers[0].json()["detail"]
    assert "SENTINEL_MAX_IMPORT_RATIO" in answers[1].json()["detail"]
    growth = peak[0] - before
    print(f"server RSS {before / MB:.0f} MB, peak {peak[0] / MB:.0f} MB (+{growth / MB:.0f} MB)")
    assert growth < 100 * MB
    assert stored(clean) == (0, 0)


def test_concurrent_imports_beyond_the_limit_get_503_with_retry_after(clean):
    header, _, rows = FOCUS_CSV.read_bytes().partition(b"\n")
    release = threading.Event()

    def slow_body():
        yield header + b"\n"
        release.wait(10)
        yield rows

    with live_server(clean, max_concurrent_imports="1") as (base, _):
        results: list[httpx.Response] = []
        first = threading.Thread(
            target=lambda: results.append(
                httpx.post(
                    f"{base}/api/v1/billing/import", content=slow_body(), timeout=30, headers=OCTET
                )
            )
        )
        first.start()
        time.sleep(0.5)  # the first upload holds the only slot, waiting for its rows
        refused = httpx.post(
            f"{base}/api/v1/billing/import", content=b"a,b\n1,2\n", timeout=10, headers=OCTET
        )
        release.set()
        first.join()
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"].isdigit()
    assert "SENTINEL_MAX_CONCURRENT_IMPORTS" in refused.json()["detail"]
    assert results[0].status_code == 201, results[0].text
    assert stored(clean) == (300, 1)


# --- statement timeouts, cancel on disconnect ----------------------------------------------


@pytest.fixture
def locked_billing(database_url: str):
    """The billing tables locked by another session: every read of them waits (a stand-in
    for a slow query that needs no large data)."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "lock table sentinel_data.billing_record, sentinel_data.service_totals"
            " in access exclusive mode"
        )
        yield conn
        conn.rollback()


def test_a_statement_beyond_its_timeout_answers_503_before_any_200(settings, locked_billing):
    with app_with(settings, statement_timeout=0.3, detection_timeout=0.3) as app:
        started = time.monotonic()
        answers = {
            path: app.get(path)
            for path in (
                "/api/v1/billing/summary",
                "/api/v1/billing/",  # the streamed list: its query runs before its status
                "/api/v1/billing/?limit=10",
                "/api/v1/billing/anomalies?method=robust",
            )
        }
        elapsed = time.monotonic() - started
    for path, response in answers.items():
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["retry-after"].isdigit()
        assert "time limit" in response.json()["detail"]
        assert "select" not in response.text.lower()
    assert elapsed < 4


def _waiting_statements(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity"
            " where application_name = 'sentinel' and wait_event_type = 'Lock'"
            " and datname = current_database()"
        ).fetchone()
    return row[0]


def test_a_statement_is_cancelled_when_its_client_disconnects(database_url, locked_billing):
    with live_server(database_url, statement_timeout="60") as (base, _):
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{base}/api/v1/billing/summary", timeout=0.5)
        deadline = time.monotonic() + 5
        while _waiting_statements(database_url) and time.monotonic() < deadline:
            time.sleep(0.05)
        # Without the cancel the statement would wait on the lock for 60 s.
        assert _waiting_statements(database_url) == 0
        assert time.monotonic() < deadline


# --- outages and readiness -------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("SENTINEL_TEST_DATABASE_URL"),
    reason="the outage relay needs a TCP server: runs in the pass against a PostgreSQL service",
)
def test_an_outage_answers_503_at_once_and_recovers_by_itself(settings, database_url):
    relay = Relay(database_url)
    relay.start()
    try:
        with app_with(settings, database_url=relay.url, pool_timeout=1.0) as app:
            assert app.get("/api/v1/billing/summary").status_code == 200
            assert app.get("/health/ready").status_code == 200
            relay.stop()
            started = time.monotonic()
            down = [app.get("/api/v1/billing/summary") for _ in range(3)]
            elapsed = time.monotonic() - started
            ready = app.get("/health/ready")
            alive = app.get("/health")
            relay.start()
            deadline = time.monotonic() + 10
            while (back := app.get("/api/v1/billing/summary")).status_code != 200:
                assert time.monotonic() < deadline, back.text
                time.sleep(0.2)
            assert app.get("/health/ready").status_code == 200
    finally:
        relay.close()
    for response in down:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
    assert elapsed < 3 * 1.5  # at most the 1 s pool wait each, never the old 30 s
    assert ready.status_code == 503
    assert ready.headers["content-type"].startswith("application/problem+json")
    assert alive.json() == {"status": "ok", "service": "sentinel"}


def test_ready_says_503_while_a_migration_is_pending(settings, new_database):
    url = new_database()  # empty: no migration applied
    assert pending_migrations(url)[0] == "0013.state-baseline"
    assert pending_migrations(url)[-1] == "sql/schema"
    with app_with(settings, database_url=url) as app:
        unready = app.get("/health/ready")
        apply_migrations(url)
        ready = app.get("/health/ready")
    assert unready.status_code == 503
    assert unready.json()["pending_migrations"][0] == "0013.state-baseline"
    assert "sentinel migrate" in unready.json()["detail"]
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "service": "sentinel"}
    assert pending_migrations(url) == []
