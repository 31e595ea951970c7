"""Liveness (/health, the contract's answer) and readiness (/health/ready, honest about the
database and the schema)."""

import asyncio
import logging

from litestar import Request, get
from litestar.di import NamedDependency

from sentinel.errors import RETRY_AFTER, documented, problem
from sentinel.limits import READY, TimedPool
from sentinel.migrations import pending_migrations
from sentinel.queries import Queries
from sentinel.schemas import Health

logger = logging.getLogger("sentinel.health")


@get("/health", summary="Liveness check: the process answers", tags=["health"])
async def health() -> Health:
    return Health(status="ok", service="sentinel")


@get(
    "/health/ready",
    summary="Readiness check: the database answers and no migration is pending",
    description="200 `{status: ready}` when `select` answers within SENTINEL_READY_TIMEOUT and "
    "every migration of this version is applied; 503 problem+json otherwise (for load "
    "balancers and compose's health check).",
    tags=["health"],
    opt={"timeout": READY},
    responses={503: documented("The database is unreachable or a migration is pending")},
)
async def ready(
    request: Request, pool: NamedDependency[TimedPool], queries: NamedDependency[Queries]
) -> Health:
    settings = request.app.state.settings
    async with pool.connection() as conn:
        await queries.check_ready(conn)
    try:
        pending = await asyncio.wait_for(
            asyncio.to_thread(pending_migrations, settings.database_url), settings.ready_timeout
        )
    except TimeoutError:
        raise problem(
            503, "the migration history did not answer in time", headers=RETRY_AFTER
        ) from None
    except Exception as exc:  # yoyo wraps driver errors in its own types
        logger.error("reading the migration history failed: %s", exc)
        raise problem(503, "the migration history cannot be read", headers=RETRY_AFTER) from None
    if pending:
        raise problem(
            503,
            f"{len(pending)} migration(s) pending: run `sentinel migrate`",
            headers=RETRY_AFTER,
            pending_migrations=pending,
        )
    return Health(status="ready", service="sentinel")
