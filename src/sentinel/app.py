"""The application factory: everything the app holds is built here, nothing at import time."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from sentinel import __version__
from sentinel.alerts import run_evaluator
from sentinel.auth import api_key_guard, check_declared_scopes
from sentinel.db import create_pool
from sentinel.errors import problem_details_plugin
from sentinel.forgery import forgery_guard
from sentinel.limits import STATEMENT, ImportSlots, Receive, TimedPool, Timeouts, limited
from sentinel.logs import RequestLog
from sentinel.notify import NotifyConfig, run_notifier
from sentinel.queries import Queries
from sentinel.routes.alerts import AlertController
from sentinel.routes.billing import BillingController
from sentinel.routes.health import health, ready
from sentinel.routes.imports import ImportController
from sentinel.routes.keys import KeysController
from sentinel.routes.lifecycle import DeletionController
from sentinel.routes.monitors import MonitorController
from sentinel.routes.spend import SpendController
from sentinel.routes.subscriptions import NotificationController, SubscriptionController
from sentinel.routes.ui import root, swagger_plugin, ui_router
from sentinel.settings import Settings


def _receive_if_read(request: Request) -> Receive | None:
    # Only a request without a body to read may have its receive channel watched for a
    # disconnect (sentinel.limits); the import watches its own body stream.
    return request.receive if request.method in ("GET", "HEAD") else None


def _seconds(state: State, request: Request) -> float:
    timeouts: Timeouts = state.timeouts
    return timeouts.of(request.route_handler.opt.get("timeout", STATEMENT))


async def provide_connection(
    state: State, request: Request, queries: NamedDependency[Queries]
) -> AsyncIterator[AsyncConnection]:
    """One pooled connection per request, in a transaction committed when the handler succeeds,
    its statements under the route's time limit (opt["timeout"], default "statement")."""
    pool: AsyncConnectionPool = state.pool
    seconds = _seconds(state, request)
    async with (
        pool.connection() as conn,
        limited(conn, queries, seconds, _receive_if_read(request)),
    ):
        yield conn


logger = logging.getLogger("sentinel.app")


async def refresh_stale_baselines(
    pool: AsyncConnectionPool, queries: Queries, every_seconds: float, timeout: float
) -> None:
    """Refresh stale stored baselines between requests.

    Inserts only mark the hours they change; without this, the first detection request after a
    bulk load would pay for the whole refresh. A round that fails is retried at the next tick.
    """
    while True:
        await asyncio.sleep(every_seconds)
        try:
            async with pool.connection() as conn, limited(conn, queries, timeout):
                refreshed = await queries.refresh_baselines(conn)
            if refreshed:
                logger.info("refreshed the stored baselines of %d service(s)", refreshed)
        except Exception:
            logger.exception("background baseline refresh failed; retrying at the next tick")


def provide_pool(state: State, request: Request, queries: NamedDependency[Queries]) -> TimedPool:
    """The pool, for handlers whose response outlives the handler (streams) or that take
    their connection late; each connection it hands out is under the route's time limit."""
    return TimedPool(state.pool, queries, _seconds(state, request), _receive_if_read(request))


def create_app(settings: Settings) -> Litestar:
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url (sentinel serve resolves it)")
    queries = Queries()
    pool = create_pool(
        settings.database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout,
    )
    timeouts = Timeouts(
        statement=settings.statement_timeout,
        detection=settings.detection_timeout,
        import_=settings.import_timeout,
        ready=settings.ready_timeout,
    )
    import_slots = ImportSlots(settings.max_concurrent_imports)

    @asynccontextmanager
    async def open_pool(app: Litestar) -> AsyncIterator[None]:
        await pool.open(wait=True)
        app.state.pool = pool
        # Background work: the baseline refresh, the alert evaluator and the notifier.
        tasks: list[asyncio.Task[None]] = []
        if settings.baseline_refresh_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    refresh_stale_baselines(
                        pool, queries, settings.baseline_refresh_seconds, timeouts.detection
                    )
                )
            )
        if settings.alert_evaluation_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    run_evaluator(
                        settings.database_url,
                        pool,
                        queries,
                        every_seconds=settings.alert_evaluation_seconds,
                        timeout=timeouts.detection,
                    )
                )
            )
        if settings.notify_poll_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    run_notifier(
                        settings.database_url,
                        queries,
                        NotifyConfig.of(settings),
                        every_seconds=settings.notify_poll_seconds,
                    )
                )
            )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await pool.close()

    def provide_queries() -> Queries:
        return queries

    def provide_settings() -> Settings:
        return settings

    def provide_import_slots() -> ImportSlots:
        return import_slots

    app = Litestar(
        route_handlers=[
            BillingController,
            SpendController,
            ImportController,
            DeletionController,
            KeysController,
            MonitorController,
            SubscriptionController,
            AlertController,
            NotificationController,
            health,
            ready,
            root,
            ui_router(),
        ],
        dependencies={
            "conn": Provide(provide_connection),
            "pool": Provide(provide_pool, sync_to_thread=False),
            "queries": Provide(provide_queries, sync_to_thread=False, use_cache=True),
            "settings": Provide(provide_settings, sync_to_thread=False, use_cache=True),
            "import_slots": Provide(provide_import_slots, sync_to_thread=False, use_cache=True),
        },
        # Who may ask (API key and scope), then whether the request could be a forgery: both
        # run before the body is read.
        guards=[api_key_guard(settings, queries), forgery_guard(settings)],
        cors_config=CORSConfig(
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Prefer"],
            expose_headers=["Link", "Preference-Applied", "X-Records-Created"],
        )
        if settings.cors_origins
        else None,
        lifespan=[open_pool],
        plugins=[problem_details_plugin()],
        openapi_config=OpenAPIConfig(
            title="Sentinel",
            version=__version__,
            description="Cloud cost anomaly detection on PostgreSQL.",
            path="/docs",
            render_plugins=[swagger_plugin()],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
        ),
        request_max_body_size=settings.max_body_size,
        state=State({"settings": settings, "timeouts": timeouts}),
        logging_config=None,  # sentinel.logs configures logging for the whole process
    )
    check_declared_scopes(app)
    # Around the whole handler, not as app middleware: that runs only on matched routes, so
    # 404s and 405s would go without a request id and a log line.
    app.asgi_handler = RequestLog(app.asgi_handler)
    return app
