"""The alert evaluator of `sentinel serve`: sentinel.evaluate_alerts() right after each commit
that changed billing records, and periodically.

The trigger that queues changed hours also notifies the channel sentinel_alert_touch, and
PostgreSQL delivers a notification only once its transaction commits: listening for it makes
evaluation follow every committed ingest or import, from this server, another one, the CLI or
psql. The periodic round catches what a lost connection missed. Evaluation takes an advisory
lock, so servers sharing a database evaluate one at a time and never twice over the same data.
"""

import asyncio
import logging

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from sentinel.limits import limited
from sentinel.queries import Queries

logger = logging.getLogger("sentinel.alerts")

RECONNECT_SECONDS = 5.0


async def evaluate_once(pool: AsyncConnectionPool, queries: Queries, timeout: float) -> int | None:
    """Refresh the stored baselines, then evaluate, each in a transaction of its own (a refresh
    inside the evaluation would make writers of those services wait for the whole of it)."""
    async with pool.connection() as conn:
        async with limited(conn, queries, timeout):
            await queries.refresh_baselines(conn)
        await conn.commit()
        async with limited(conn, queries, timeout):
            changed = await queries.evaluate_alerts(conn)
    if changed:
        logger.info("alert evaluation changed %d alert(s)", changed)
    return changed


async def run_evaluator(
    conninfo: str,
    pool: AsyncConnectionPool,
    queries: Queries,
    *,
    every_seconds: float,
    timeout: float,
) -> None:
    """Evaluate at start, after each notification and every `every_seconds`, until cancelled."""
    while True:
        try:
            async with await AsyncConnection.connect(
                conninfo, autocommit=True, application_name="sentinel-alerts"
            ) as listener:
                await queries.listen_alert_touch(listener)
                while True:
                    await evaluate_once(pool, queries, timeout)
                    # Wake at the first notification or at the tick; the ones that arrive
                    # meanwhile are covered by the next evaluation.
                    async for _ in listener.notifies(timeout=every_seconds, stop_after=1):
                        pass
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("alert evaluation failed; retrying in %.0f s", RECONNECT_SECONDS)
            await asyncio.sleep(RECONNECT_SECONDS)
