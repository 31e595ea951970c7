"""The notifier of `sentinel serve`: it delivers the outbox (sentinel_data.notification).

An evaluation writes its messages in the transaction that changes the alerts and notifies the
channel sentinel_outbox, which PostgreSQL delivers at commit: the notifier wakes then, and
otherwise every `notify_poll_seconds` (which also makes the daily and weekly digests). It claims
due messages with `for update skip locked`, so servers sharing a database never send one
message twice at once, and holds them until their outcome is written: a server killed before
that leaves them pending for the next one (at least once; the idempotency key lets receivers
drop a repeat). A failed attempt is retried after a wait that doubles each time.

A small outbox rather than a job library (procrastinate): the rows are the delivery record
that `GET /api/v1/notifications` and the view sentinel.notifications show, they are written by
SQL inside the evaluation, and a job queue would add its own schema and worker for one kind of
job.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import random
import smtplib
import ssl
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from psycopg import AsyncConnection

from sentinel import __version__
from sentinel.alert_schemas import Delivery
from sentinel.queries import Queries
from sentinel.settings import SMTP_PORTS, Settings

logger = logging.getLogger("sentinel.notify")

RECONNECT_SECONDS = 5.0
RETRY_CAP_SECONDS = 3600.0
BATCH = 20
ERROR_MAX = 500
ROOT_CAUSES_SHOWN = 3


@dataclass(frozen=True)
class NotifyConfig:
    retry_seconds: float
    max_attempts: int
    timeout: float
    smtp_url: str | None
    smtp_from: str
    public_url: str | None

    @classmethod
    def of(cls, settings: Settings) -> "NotifyConfig":
        return cls(
            retry_seconds=settings.notify_retry_seconds,
            max_attempts=settings.notify_max_attempts,
            timeout=settings.notify_timeout,
            smtp_url=settings.smtp_url,
            smtp_from=settings.smtp_from,
            public_url=settings.public_url,
        )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """X-Sentinel-Signature: HMAC-SHA256 of "<timestamp>.<body>" under the subscription's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def retry_delay(attempts: int, base: float) -> float:
    """The wait after the attempts made so far (1, 2, …): base, twice that, four times … up to
    an hour, stretched by up to a quarter at random so that a receiver back up is not hit by
    every retry at once."""
    return min(base * 2 ** (attempts - 1), RETRY_CAP_SECONDS) * (1 + random.random() / 4)


def _money(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}"


def _series(alert: dict[str, Any]) -> str:
    parts = [
        f"{label}{alert[key]}"
        for key, label in (("service", ""), ("account_id", "account "), ("region", ""))
        if alert.get(key)
    ]
    return ", ".join(parts) or alert.get("monitor_name", "all services")


def _alert_lines(alert: dict[str, Any], public_url: str | None) -> list[str]:
    pct = alert.get("impact_pct")
    share = "" if pct is None else f" ({pct:+.0f}%)"
    lines = [
        f"Impact {_money(alert['total_impact'])}{share} over {alert['bucket_count']} "
        f"{alert['granularity']}(s) from {alert['started_at']}: actual ${alert['actual']:,.2f}, "
        f"expected ${alert['expected']:,.2f}",
    ]
    causes = alert.get("root_causes") or []
    if causes:
        shown = "; ".join(
            f"{cause['dimension']} {cause['value']} {_money(cause['contribution'])}"
            for cause in causes[:ROOT_CAUSES_SHOWN]
        )
        lines.append(f"Top root causes: {shown}")
    if public_url:
        lines.append(f"{public_url}{alert['path']}")
    return lines


def summary(payload: dict[str, Any], public_url: str | None) -> tuple[str, str]:
    """A subject line and a text body, for Slack and email."""
    if "alert" in payload:
        alert = payload["alert"]
        happened = payload["type"].removeprefix("alert.")
        subject = (
            f"Sentinel: cost anomaly {happened}: {_series(alert)} "
            f"{_money(alert['total_impact'])} (monitor {alert['monitor_name']})"
        )
        return subject, "\n".join(_alert_lines(alert, public_url))
    alerts = payload["alerts"]
    total = sum(alert["total_impact"] for alert in alerts)
    subject = (
        f"Sentinel {payload['type'].removeprefix('digest.')} digest: {len(alerts)} alert(s), "
        f"{_money(total)}"
    )
    body = [f"Alerts raised from {payload['period_start']} to {payload['period_end']}:"]
    for alert in alerts:
        body += ["", f"{_series(alert)} [{alert['status']}]", *_alert_lines(alert, public_url)]
    return subject, "\n".join(body)


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> None:
    response = await client.post(url, content=body, headers=headers)
    if not response.is_success:
        raise DeliveryError(f"HTTP {response.status_code} from the receiver")


class DeliveryError(Exception):
    pass


def _send_email(config: NotifyConfig, message: EmailMessage) -> None:
    """One SMTP session (blocking: run in a thread)."""
    if config.smtp_url is None:
        raise DeliveryError("SENTINEL_SMTP_URL is not set")
    url = urlsplit(config.smtp_url)
    port = url.port or SMTP_PORTS[url.scheme]
    host = url.hostname or "localhost"
    if url.scheme == "smtps":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=config.timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=config.timeout)
    with smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls(context=ssl.create_default_context())
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


async def deliver(client: httpx.AsyncClient, delivery: Delivery, config: NotifyConfig) -> None:
    """Send one message; raises on failure."""
    payload = delivery.payload
    headers = {
        "User-Agent": f"sentinel/{__version__}",
        "Idempotency-Key": delivery.idempotency_key,
        "X-Sentinel-Event": payload["type"],
    }
    if delivery.channel == "webhook":
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers |= {
            "Content-Type": "application/json",
            "X-Sentinel-Timestamp": timestamp,
            "X-Sentinel-Signature": signature(delivery.secret or "", timestamp, body),
        }
        await _post(client, delivery.target, body, headers)
        return
    subject, text = summary(payload, config.public_url)
    if delivery.channel == "slack":
        body = json.dumps({"text": f"*{subject}*\n{text}"}).encode()
        await _post(client, delivery.target, body, headers | {"Content-Type": "application/json"})
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.smtp_from
    message["To"] = delivery.target
    domain = config.smtp_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{delivery.idempotency_key}@{domain}>"
    message["X-Sentinel-Event"] = payload["type"]
    message.set_content(text)
    await asyncio.to_thread(_send_email, config, message)


async def _attempt(
    client: httpx.AsyncClient, delivery: Delivery, config: NotifyConfig
) -> str | None:
    """None when delivered, else what went wrong (kept in last_error: no secret, no body)."""
    try:
        await asyncio.wait_for(deliver(client, delivery, config), config.timeout)
    except DeliveryError as exc:
        return str(exc)
    except Exception as exc:  # a refused connection, a timeout, an SMTP reply: retried alike
        return f"{type(exc).__name__}: {exc}"[:ERROR_MAX] if str(exc) else type(exc).__name__
    return None


async def deliver_due(
    conn: AsyncConnection, queries: Queries, client: httpx.AsyncClient, config: NotifyConfig
) -> int:
    """Deliver one batch of due messages and record each outcome; how many were tried."""
    async with conn.transaction():
        due = await queries.claim_notifications(conn, limit=BATCH)
        errors = await asyncio.gather(*(_attempt(client, d, config) for d in due))
        for delivery, error in zip(due, errors, strict=True):
            attempts = delivery.attempts + 1
            retry = None
            if error is not None:
                if attempts < config.max_attempts:
                    retry = retry_delay(attempts, config.retry_seconds)
                logger.warning(
                    "notification %d to a %s: attempt %d failed (%s); %s",
                    delivery.id,
                    delivery.channel,
                    attempts,
                    error,
                    "giving up" if retry is None else f"retrying in {retry:.1f} s",
                )
            await queries.finish_notification(
                conn, id=delivery.id, delivered=error is None, error=error, retry_seconds=retry
            )
    return len(due)


async def _wait_seconds(conn: AsyncConnection, queries: Queries, every_seconds: float) -> float:
    due = await queries.next_notification_due(conn)
    if due is None:
        return every_seconds
    return min(max((due - datetime.now(UTC)).total_seconds(), 0.01), every_seconds)


async def _finish_round(round_: Coroutine[Any, Any, int]) -> int:
    """Await a delivery round; a shutdown meanwhile lets it finish first (it is bounded by
    the delivery timeout), so that what was sent is recorded and not sent again at restart."""
    task = asyncio.ensure_future(round_)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


async def run_notifier(
    conninfo: str, queries: Queries, config: NotifyConfig, *, every_seconds: float
) -> None:
    """Make due digests and deliver due messages at start, after each notification of the
    channel sentinel_outbox, when a retry falls due, and every `every_seconds`, until cancelled."""
    while True:
        try:
            async with (
                await AsyncConnection.connect(
                    conninfo, autocommit=True, application_name="sentinel-notify"
                ) as listener,
                await AsyncConnection.connect(
                    conninfo, autocommit=True, application_name="sentinel-notify"
                ) as conn,
                httpx.AsyncClient(timeout=config.timeout, follow_redirects=False) as client,
            ):
                await queries.listen_outbox(listener)
                while True:
                    await queries.enqueue_digests(conn)
                    while await _finish_round(deliver_due(conn, queries, client, config)):
                        pass
                    wait = await _wait_seconds(conn, queries, every_seconds)
                    async for _ in listener.notifies(timeout=wait, stop_after=1):
                        pass
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the notifier failed; retrying in %.0f s", RECONNECT_SECONDS)
            await asyncio.sleep(RECONNECT_SECONDS)
