"""Bounded work: statement timeouts per kind of request, cancel on disconnect, import slots.

Nothing here knows HTTP: the routes hand over the ASGI `receive` callable, which is all a
disconnect watcher needs.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from sentinel.queries import Queries

logger = logging.getLogger("sentinel.limits")

Receive = Callable[[], Awaitable[Mapping[str, Any]]]

# The kinds of request, each with its own statement timeout (Settings: statement_timeout,
# detection_timeout, import_timeout, ready_timeout).
STATEMENT, DETECTION, IMPORT, READY = "statement", "detection", "import", "ready"


@dataclass(frozen=True)
class Timeouts:
    statement: float
    detection: float
    import_: float
    ready: float

    def of(self, kind: str) -> float:
        return {
            STATEMENT: self.statement,
            DETECTION: self.detection,
            IMPORT: self.import_,
            READY: self.ready,
        }[kind]


async def _cancel_on_disconnect(receive: Receive, conn: AsyncConnection) -> None:
    """Wait for the client to go away, then cancel whatever the connection is running.

    Only for requests whose body has been read (GET): otherwise this would eat the body.
    """
    while (await receive()).get("type") != "http.disconnect":
        pass
    logger.info("client disconnected; cancelling its statement")
    with contextlib.suppress(Exception):
        await conn.cancel_safe(timeout=5)


@asynccontextmanager
async def limited(
    conn: AsyncConnection,
    queries: Queries,
    seconds: float,
    receive: Receive | None = None,
) -> AsyncIterator[AsyncConnection]:
    """`conn` with a statement timeout for its transaction, cancelled if the client leaves."""
    await queries.set_statement_timeout(conn, seconds=seconds)
    watcher = None
    if receive is not None:
        watcher = asyncio.create_task(_cancel_on_disconnect(receive, conn))
    try:
        yield conn
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher


class TimedPool:
    """The pool as one request sees it: every connection under that request's time limit."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        queries: Queries,
        seconds: float,
        receive: Receive | None = None,
    ) -> None:
        self._pool, self._queries, self._seconds, self._receive = pool, queries, seconds, receive

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with (
            self._pool.connection() as conn,
            limited(conn, self._queries, self._seconds, self._receive),
        ):
            yield conn


class ImportSlots:
    """At most `size` imports at once; the next one is refused at once rather than queued
    (a queued upload would hold its client's connection and, later, a pooled one)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.busy = 0

    def try_take(self) -> bool:
        # One event loop, no await between test and set: no lock needed.
        if self.busy >= self.size:
            return False
        self.busy += 1
        return True

    def give_back(self) -> None:
        self.busy -= 1
