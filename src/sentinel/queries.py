"""Typed wrappers, one per file in sql/queries/. Keyword arguments only."""

import operator
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from sentinel.alert_schemas import (
    Alert,
    AlertChange,
    AlertFeedback,
    AlertStats,
    Delivery,
    Monitor,
    MonitorIn,
    Notification,
    Subscription,
    SubscriptionIn,
)
from sentinel.db import QueryFileError, load_queries, resource_dir
from sentinel.detection import DetectionParams, parse_window
from sentinel.keys import ApiKey, StoredApiKey
from sentinel.schemas import (
    AnomalyEvent,
    BillingImport,
    BillingRecord,
    BillingRecordFields,
    CostPoint,
    DeletedImport,
    DeletedRecords,
    DetectorDefaults,
    ScoredBillingRecord,
    SeriesPoint,
    ServiceCost,
)

Row = TypeVar("Row", bound=BaseModel)


COPY_CHUNK = 2000
# COPY text format: backslash, tab, newline and carriage return are escaped in text values.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(records: Sequence[BillingRecordFields]) -> bytes:
    """Rows for copy_new_billing_records.sql: service, cost, timestamp, region, account_id,
    is_anomaly. Costs are finite floats (validated), written in their shortest exact form."""
    # Names rarely hold a character COPY escapes: one look over the chunk's names spares the
    # three escapes per record (1.5 of 3.5 us a record here) when none does.
    names = "".join([r["service"] + r["region"] + r["account_id"] for r in records])
    if any(special in names for special in "\\\t\n\r"):
        escape = operator.methodcaller("translate", _COPY_ESCAPES)
    else:
        escape = str
    return "".join(
        [
            f"{escape(r['service'])}\t{r['cost']!r}\t"
            f"{r['timestamp'].isoformat()}\t{escape(r['region'])}\t"
            f"{escape(r['account_id'])}\t{'t' if r.get('is_anomaly') else 'f'}\n"
            for r in records
        ]
    ).encode()


def _columns(records: Sequence[BillingRecordFields]) -> dict[str, list[Any]]:
    """The records as one array per column, for the unnest(...) insert statements."""
    return {
        "services": [r["service"] for r in records],
        "costs": [r["cost"] for r in records],
        "timestamps": [r["timestamp"] for r in records],
        "regions": [r["region"] for r in records],
        "account_ids": [r["account_id"] for r in records],
        "is_anomalies": [r.get("is_anomaly", False) for r in records],
    }


def _detector_arguments(params: DetectionParams) -> dict[str, Any]:
    """The placeholders of find_detected_anomalies.sql and find_anomaly_events.sql, by name."""
    return {
        "method": params.method,
        "granularity": params.granularity,
        "group_by": params.group_by,
        "window": params.window,
        "threshold": params.threshold,
        "min_impact": params.min_impact,
        "min_pct": params.min_pct,
        "direction": params.direction,
        "min_daily_pct": params.min_daily_pct,
    }


def _monitor_arguments(monitor: MonitorIn) -> dict[str, Any]:
    """The placeholders of insert_monitor.sql and update_monitor.sql, by name."""
    return {
        "name": monitor.name,
        "method": monitor.method,
        "granularity": monitor.granularity,
        "group_by": monitor.group_by,
        "window": None if monitor.window is None else parse_window(monitor.window),
        "threshold": monitor.threshold,
        "min_impact": monitor.min_impact,
        "min_pct": monitor.min_pct,
        "direction": monitor.direction,
        "filter": Jsonb(monitor.filter.model_dump(exclude_none=True)),
        "enabled": monitor.enabled,
        "min_daily_pct": monitor.min_daily_pct,
    }


class Queries:
    """The SQL of sql/queries/, loaded once; a missing or malformed file fails here, by name."""

    def __init__(self, directory: Path | None = None) -> None:
        self._sql = load_queries(directory or resource_dir("sql") / "queries")
        wrappers = {name for name in vars(Queries) if not name.startswith("_")}
        if missing := sorted(wrappers - self._sql.keys()):
            raise QueryFileError(f"missing query files: {', '.join(m + '.sql' for m in missing)}")

    async def _all(
        self, conn: AsyncConnection, name: str, row: type[Row], params: dict[str, Any]
    ) -> list[Row]:
        async with conn.cursor(row_factory=class_row(row)) as cur:
            await cur.execute(self._sql[name], params)
            return await cur.fetchall()

    async def _one(
        self, conn: AsyncConnection, name: str, row: type[Row], params: dict[str, Any]
    ) -> Row | None:
        async with conn.cursor(row_factory=class_row(row)) as cur:
            await cur.execute(self._sql[name], params)
            return await cur.fetchone()

    async def _value(self, conn: AsyncConnection, name: str, params: dict[str, Any]) -> Any:
        """The first column of the one row the statement always yields (a count, exists(),
        a function's result)."""
        cur = await conn.execute(self._sql[name], params)
        row = await cur.fetchone()
        assert row is not None, f"{name}.sql yields one row"
        return row[0]

    async def _pages(
        self, conn: AsyncConnection, name: str, params: dict[str, Any], page_size: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Rows as plain dicts, page by page through a server-side cursor (within the
        connection's transaction): for answers too long to hold or validate row by row.

        In binary: PostgreSQL sends a timestamp as eight bytes instead of formatting it, and
        psycopg reads it without parsing; the rows' Python values are the same."""
        async with conn.cursor(name, row_factory=dict_row, binary=True) as cur:
            await cur.execute(self._sql[name], params)
            while page := await cur.fetchmany(page_size):
                yield page

    async def insert_billing_records(
        self, conn: AsyncConnection, *, records: Sequence[BillingRecordFields]
    ) -> list[BillingRecord]:
        params = _columns(records)
        return await self._all(conn, "insert_billing_records", BillingRecord, params)

    def list_billing_records(
        self,
        conn: AsyncConnection,
        *,
        service: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        after_id: int | None = None,
        limit: int | None = None,
        page_size: int = 5000,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of rows shaped like BillingRecord, read through a server-side cursor.

        Plain dicts rather than models: a full listing can be millions of rows, streamed
        straight to JSON, and validating each would only cost time.
        """
        params = {
            "service": service,
            "region": region,
            "account_id": account_id,
            "start": start,
            "end": end,
            "after_id": after_id,
            "limit": limit,
        }
        return self._pages(conn, "list_billing_records", params, page_size)

    async def get_billing_record(
        self, conn: AsyncConnection, *, record_id: int
    ) -> BillingRecord | None:
        return await self._one(conn, "get_billing_record", BillingRecord, {"id": record_id})

    async def summarize_costs(self, conn: AsyncConnection) -> list[ServiceCost]:
        return await self._all(conn, "summarize_costs", ServiceCost, {})

    def find_anomalies(
        self, conn: AsyncConnection, *, threshold: float | None = None, page_size: int = 5000
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The original rule, in pages of rows shaped like Anomaly (plain dicts, streamed
        straight to JSON: a low threshold flags thousands); threshold None is its default
        (sentinel.detector_defaults)."""
        return self._pages(conn, "find_anomalies", {"threshold": threshold}, page_size)

    # Causal detectors (sql/schema/); parameters validated by sentinel.detection.

    async def list_detector_defaults(self, conn: AsyncConnection) -> list[DetectorDefaults]:
        return await self._all(conn, "list_detector_defaults", DetectorDefaults, {})

    async def refresh_baselines(self, conn: AsyncConnection) -> int:
        """Refresh the stale stored baselines; returns how many services were refreshed."""
        return await self._value(conn, "refresh_baselines", {})

    def find_detected_anomalies(
        self, conn: AsyncConnection, *, params: DetectionParams, page_size: int = 5000
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of rows shaped like DetectedAnomaly, as find_anomalies."""
        arguments = _detector_arguments(params)
        return self._pages(conn, "find_detected_anomalies", arguments, page_size)

    async def find_anomaly_events(
        self, conn: AsyncConnection, *, params: DetectionParams
    ) -> list[AnomalyEvent]:
        return await self._all(
            conn, "find_anomaly_events", AnomalyEvent, _detector_arguments(params)
        )

    async def is_daily_service(self, conn: AsyncConnection, *, service: str) -> bool:
        return await self._value(conn, "is_daily_service", {"service": service})

    async def list_series_points(
        self,
        conn: AsyncConnection,
        *,
        params: DetectionParams,
        service: str,
        account_id: str | None,
        region: str | None,
        start: datetime | None,
        end: datetime | None,
        span: timedelta,
    ) -> list[SeriesPoint]:
        arguments = {
            **_detector_arguments(params),
            "service": service,
            "account_id": account_id,
            "region": region,
            "start": start,
            "end": end,
            "span": span,
        }
        return await self._all(conn, "list_series_points", SeriesPoint, arguments)

    async def list_costs(
        self,
        conn: AsyncConnection,
        *,
        granularity: str,
        group_by: list[str],
        services: list[str] | None,
        start: datetime | None,
        end: datetime | None,
        max_rows: int,
    ) -> list[CostPoint]:
        """Up to max_rows + 1 rows: one more than max_rows says the range holds too many."""
        params = {
            "granularity": granularity,
            "group_by": group_by,
            "services": services,
            "start": start,
            "end": end,
            "max_rows": max_rows,
        }
        return await self._all(conn, "list_costs", CostPoint, params)

    async def insert_billing_records_scored(
        self, conn: AsyncConnection, *, records: Sequence[BillingRecordFields]
    ) -> list[ScoredBillingRecord]:
        params = _columns(records)
        return await self._all(conn, "insert_billing_records_scored", ScoredBillingRecord, params)

    # Imports of billing export files (sentinel.importers drives these, in one transaction).

    async def lock_imports(self, conn: AsyncConnection) -> None:
        await conn.execute(self._sql["lock_imports"])

    async def find_current_import(self, conn: AsyncConnection, *, checksum: str) -> int | None:
        cur = await conn.execute(self._sql["find_current_import"], {"checksum": checksum})
        row = await cur.fetchone()
        return None if row is None else row[0]

    async def insert_import(
        self,
        conn: AsyncConnection,
        *,
        file_name: str,
        format: str,
        checksum: str,
        status: str = "imported",
        unchanged_of: int | None = None,
    ) -> BillingImport:
        params = {
            "file_name": file_name,
            "format": format,
            "checksum": checksum,
            "status": status,
            "unchanged_of": unchanged_of,
        }
        stored = await self._one(conn, "insert_import", BillingImport, params)
        assert stored is not None  # insert ... returning always yields the row
        return stored

    async def copy_new_billing_records(
        self, conn: AsyncConnection, *, records: Sequence[BillingRecordFields]
    ) -> int:
        """COPY validated records into billing_record; returns how many were written.

        The rows are formatted here in COPY's text format, a chunk at a time, so that the
        server stores one chunk while the next is being formatted.
        """
        async with conn.cursor() as cur, cur.copy(self._sql["copy_new_billing_records"]) as copy:
            for start in range(0, len(records), COPY_CHUNK):
                await copy.write(_copy_text(records[start : start + COPY_CHUNK]))
        return len(records)

    async def open_incoming_records(self, conn: AsyncConnection) -> None:
        await conn.execute(self._sql["open_incoming_records"])

    async def copy_billing_records(
        self, conn: AsyncConnection, *, chunks: AsyncIterator[bytes]
    ) -> None:
        """COPY the CSV chunks (columns as in copy_billing_records.sql) into the import's
        incoming_records (open_incoming_records first)."""
        async with conn.cursor() as cur, cur.copy(self._sql["copy_billing_records"]) as copy:
            async for chunk in chunks:
                await copy.write(chunk)

    async def replace_imported_records(
        self,
        conn: AsyncConnection,
        *,
        import_id: int,
        accounts: Sequence[str],
        periods: Sequence[date],
    ) -> int:
        params = {"import_id": import_id, "accounts": list(accounts), "periods": list(periods)}
        return await self._value(conn, "replace_imported_records", params)

    async def finish_import(
        self,
        conn: AsyncConnection,
        *,
        import_id: int,
        checksum: str,
        row_count: int,
        replaced_rows: int,
        periods: Sequence[date],
        accounts: Sequence[str],
    ) -> BillingImport:
        params = {
            "import_id": import_id,
            "checksum": checksum,
            "row_count": row_count,
            "replaced_rows": replaced_rows,
            "periods": list(periods),
            "accounts": list(accounts),
        }
        stored = await self._one(conn, "finish_import", BillingImport, params)
        assert stored is not None  # the import row was inserted in the same transaction
        return stored

    # Limits and health (sentinel.limits, routes/health.py).

    async def mark_recurring_charges(
        self, conn: AsyncConnection, *, accounts: list[str], periods: list[date]
    ) -> int:
        """How many records changed between usage and recurring."""
        params = {"accounts": accounts, "periods": periods}
        return await self._value(conn, "mark_recurring_charges", params)

    async def set_statement_timeout(self, conn: AsyncConnection, *, seconds: float) -> None:
        milliseconds = str(max(1, round(seconds * 1000)))
        await conn.execute(self._sql["set_statement_timeout"], {"milliseconds": milliseconds})

    async def check_ready(self, conn: AsyncConnection) -> bool:
        cur = await conn.execute(self._sql["check_ready"])
        row = await cur.fetchone()
        return bool(row and row[0])

    async def list_imports(self, conn: AsyncConnection, *, limit: int = 100) -> list[BillingImport]:
        return await self._all(conn, "list_imports", BillingImport, {"limit": limit})

    # API keys (sentinel.keys drives these).

    async def insert_api_key(
        self, conn: AsyncConnection, *, name: str, scope: str, prefix: str, token_sha256: bytes
    ) -> ApiKey | None:
        params = {"name": name, "scope": scope, "prefix": prefix, "token_sha256": token_sha256}
        return await self._one(conn, "insert_api_key", ApiKey, params)

    async def list_api_keys(self, conn: AsyncConnection) -> list[ApiKey]:
        return await self._all(conn, "list_api_keys", ApiKey, {})

    async def find_api_key(self, conn: AsyncConnection, *, prefix: str) -> StoredApiKey | None:
        return await self._one(conn, "find_api_key", StoredApiKey, {"prefix": prefix})

    async def touch_api_key(self, conn: AsyncConnection, *, id: int) -> None:
        await conn.execute(self._sql["touch_api_key"], {"id": id})

    async def revoke_api_key(self, conn: AsyncConnection, *, name: str) -> ApiKey | None:
        return await self._one(conn, "revoke_api_key", ApiKey, {"name": name})

    # Deletion and reset.

    async def delete_import(self, conn: AsyncConnection, *, import_id: int) -> DeletedImport:
        deleted = await self._one(conn, "delete_import", DeletedImport, {"import_id": import_id})
        assert deleted is not None  # counts always yield a row
        return deleted

    async def delete_billing_records(
        self, conn: AsyncConnection, *, service: str, start: datetime, end: datetime
    ) -> DeletedRecords:
        params = {"service": service, "start": start, "end": end}
        deleted = await self._one(conn, "delete_billing_records", DeletedRecords, params)
        assert deleted is not None  # count(*) always yields a row
        return deleted

    async def has_imported_records(self, conn: AsyncConnection) -> bool:
        return bool(await self._value(conn, "has_imported_records", {}))

    async def truncate_billing_data(self, conn: AsyncConnection) -> None:
        await conn.execute(self._sql["truncate_billing_data"])

    # Monitors and alerts (sql/schema/12_alerts.sql).

    async def list_monitors(
        self, conn: AsyncConnection, *, monitor_id: int | None = None
    ) -> list[Monitor]:
        return await self._all(conn, "list_monitors", Monitor, {"monitor_id": monitor_id})

    async def _id(self, conn: AsyncConnection, name: str, params: dict[str, Any]) -> int | None:
        cur = await conn.execute(self._sql[name], params)
        row = await cur.fetchone()
        return None if row is None else row[0]

    async def insert_monitor(self, conn: AsyncConnection, *, monitor: MonitorIn) -> int | None:
        """The new monitor's id; None when the name is taken."""
        return await self._id(conn, "insert_monitor", _monitor_arguments(monitor))

    async def update_monitor(
        self, conn: AsyncConnection, *, monitor_id: int, monitor: MonitorIn
    ) -> int | None:
        params = {"monitor_id": monitor_id, **_monitor_arguments(monitor)}
        return await self._id(conn, "update_monitor", params)

    async def delete_monitor(self, conn: AsyncConnection, *, monitor_id: int) -> int | None:
        return await self._id(conn, "delete_monitor", {"monitor_id": monitor_id})

    async def list_alerts(
        self,
        conn: AsyncConnection,
        *,
        alert_id: int | None = None,
        monitor_id: int | None = None,
        status: str | None = None,
        service: str | None = None,
        since: datetime | None = None,
        min_impact: float | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[Alert]:
        params = {
            "alert_id": alert_id,
            "monitor_id": monitor_id,
            "status": status,
            "service": service,
            "since": since,
            "min_impact": min_impact,
            "before_id": before_id,
            "limit": limit,
        }
        return await self._all(conn, "list_alerts", Alert, params)

    async def insert_alert_feedback(
        self,
        conn: AsyncConnection,
        *,
        alert_id: int,
        verdict: str,
        note: str | None,
        key_name: str | None,
    ) -> AlertFeedback | None:
        params = {"alert_id": alert_id, "verdict": verdict, "note": note, "key_name": key_name}
        return await self._one(conn, "insert_alert_feedback", AlertFeedback, params)

    async def summarize_alerts(
        self, conn: AsyncConnection, *, monitor_id: int | None = None
    ) -> AlertStats:
        stats = await self._one(conn, "summarize_alerts", AlertStats, {"monitor_id": monitor_id})
        assert stats is not None  # an aggregate always yields a row
        return stats

    async def evaluate_alerts(self, conn: AsyncConnection) -> int | None:
        """How many alerts changed; None when another evaluation holds the lock."""
        return await self._value(conn, "evaluate_alerts", {})

    async def list_alert_changes(self, conn: AsyncConnection) -> list[AlertChange]:
        """In the transaction of an evaluate_alerts: the alerts it changed, and how."""
        return await self._all(conn, "list_alert_changes", AlertChange, {})

    async def listen_alert_touch(self, conn: AsyncConnection) -> None:
        await conn.execute(self._sql["listen_alert_touch"])

    # Subscriptions and the notification outbox (sql/schema/13_notifications.sql).

    async def insert_subscription(
        self,
        conn: AsyncConnection,
        *,
        monitor_id: int,
        subscription: SubscriptionIn,
        secret: str | None,
    ) -> int | None:
        """The new subscription's id; None when there is no such monitor."""
        params = {"monitor_id": monitor_id, "secret": secret, **subscription.model_dump()}
        return await self._id(conn, "insert_subscription", params)

    async def list_subscriptions(
        self, conn: AsyncConnection, *, monitor_id: int, subscription_id: int | None = None
    ) -> list[Subscription]:
        params = {"monitor_id": monitor_id, "subscription_id": subscription_id}
        return await self._all(conn, "list_subscriptions", Subscription, params)

    async def delete_subscription(
        self, conn: AsyncConnection, *, monitor_id: int, subscription_id: int
    ) -> int | None:
        params = {"monitor_id": monitor_id, "subscription_id": subscription_id}
        return await self._id(conn, "delete_subscription", params)

    async def update_subscription(
        self,
        conn: AsyncConnection,
        *,
        monitor_id: int,
        subscription_id: int,
        subscription: SubscriptionIn,
    ) -> int | None:
        """The subscription's id; None when there is none of that monitor with that channel."""
        params = {
            "monitor_id": monitor_id,
            "subscription_id": subscription_id,
            **subscription.model_dump(),
        }
        return await self._id(conn, "update_subscription", params)

    async def retry_notification(
        self, conn: AsyncConnection, *, notification_id: int
    ) -> str | None:
        """The message's status before the retry (delivered ones are left alone); None when
        there is no such message."""
        cur = await conn.execute(self._sql["retry_notification"], {"id": notification_id})
        row = await cur.fetchone()
        return None if row is None else row[0]

    async def list_notifications(
        self,
        conn: AsyncConnection,
        *,
        notification_id: int | None = None,
        status: str | None = None,
        monitor_id: int | None = None,
        subscription_id: int | None = None,
        alert_id: int | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[Notification]:
        params = {
            "id": notification_id,
            "status": status,
            "monitor_id": monitor_id,
            "subscription_id": subscription_id,
            "alert_id": alert_id,
            "before_id": before_id,
            "limit": limit,
        }
        return await self._all(conn, "list_notifications", Notification, params)

    async def claim_notifications(self, conn: AsyncConnection, *, limit: int) -> list[Delivery]:
        return await self._all(conn, "claim_notifications", Delivery, {"limit": limit})

    async def finish_notification(
        self,
        conn: AsyncConnection,
        *,
        id: int,
        delivered: bool,
        error: str | None,
        retry_seconds: float | None,
    ) -> None:
        params = {"id": id, "delivered": delivered, "error": error, "retry_seconds": retry_seconds}
        await conn.execute(self._sql["finish_notification"], params)

    async def next_notification_due(self, conn: AsyncConnection) -> datetime | None:
        cur = await conn.execute(self._sql["next_notification_due"])
        row = await cur.fetchone()
        return None if row is None else row[0]

    async def enqueue_digests(self, conn: AsyncConnection, *, at: datetime | None = None) -> int:
        return await self._id(conn, "enqueue_digests", {"at": at}) or 0

    async def listen_outbox(self, conn: AsyncConnection) -> None:
        await conn.execute(self._sql["listen_outbox"])
