"""Subscriptions (who hears of a monitor's alerts) and the notifications sent to them."""

import secrets
from typing import Annotated, Literal

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from psycopg import AsyncConnection

from sentinel.alert_schemas import CreatedSubscription, Notification, Subscription, SubscriptionIn
from sentinel.errors import (
    ERROR_RESPONSES,
    JSON_BODY_RESPONSES,
    NOT_FOUND_RESPONSE,
    documented,
    problem,
)
from sentinel.queries import Queries
from sentinel.routes.ids import BIGINT_MAX, IdPath, as_id, not_found
from sentinel.routes.links import link_to
from sentinel.settings import Settings

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]
PAGE_MAX = 1000
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix that makes a leaked secret recognisable)


def _monitor_id(id: str) -> int:
    monitor_id = as_id(id)
    if monitor_id is None:
        raise not_found("monitor", "monitor_id")
    return monitor_id


async def _stored(
    conn: AsyncConnection, queries: Queries, monitor_id: str, id: str
) -> Subscription:
    subscription_id = as_id(id)
    found = []
    if subscription_id is not None:
        found = await queries.list_subscriptions(
            conn, monitor_id=_monitor_id(monitor_id), subscription_id=subscription_id
        )
    if not found:
        raise not_found("subscription")
    return found[0]


class SubscriptionController(Controller):
    path = "/api/v1/monitors/{monitor_id:str}/subscriptions"
    tags = ["monitors"]

    @get("/", summary="A monitor's subscriptions", responses=ERROR_RESPONSES, opt={"scope": "read"})
    async def list_subscriptions(
        self, monitor_id: IdPath, conn: Connection, queries: QueryFiles
    ) -> list[Subscription]:
        found = await queries.list_monitors(conn, monitor_id=_monitor_id(monitor_id))
        if not found:
            raise not_found("monitor", "monitor_id")
        return await queries.list_subscriptions(conn, monitor_id=found[0].id)

    @post(
        "/",
        status_code=201,
        summary="Subscribe to a monitor's alerts",
        description="A webhook subscription's answer carries its `secret`, shown only here: "
        'each delivery is signed with it (X-Sentinel-Signature, README "Notifications").',
        responses={**ERROR_RESPONSES, **JSON_BODY_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "admin", "body": "json"},
    )
    async def create(
        self,
        monitor_id: IdPath,
        data: JSONBody[SubscriptionIn],
        conn: Connection,
        queries: QueryFiles,
        settings: NamedDependency[Settings],
    ) -> CreatedSubscription:
        if data.channel == "email" and settings.smtp_url is None:
            detail = "email needs SENTINEL_SMTP_URL set on the server"
            raise problem(
                422, detail, errors=[{"field": "channel", "message": detail, "source": "body"}]
            )
        secret = SECRET_PREFIX + secrets.token_urlsafe(32) if data.channel == "webhook" else None
        monitor = _monitor_id(monitor_id)
        created = await queries.insert_subscription(
            conn, monitor_id=monitor, subscription=data, secret=secret
        )
        if created is None:
            raise not_found("monitor", "monitor_id")
        (stored,) = await queries.list_subscriptions(
            conn, monitor_id=monitor, subscription_id=created
        )
        return CreatedSubscription(**stored.model_dump(), secret=secret)

    @get(
        "/{id:str}",
        summary="One subscription",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "read"},
    )
    async def get_subscription(
        self, monitor_id: IdPath, id: IdPath, conn: Connection, queries: QueryFiles
    ) -> Subscription:
        return await _stored(conn, queries, monitor_id, id)

    @put(
        "/{id:str}",
        summary="Change a subscription's target, frequency or thresholds",
        description="The whole subscription, as at creation. Its channel cannot change (a "
        "webhook keeps its secret): delete it and subscribe again for another channel. "
        "Messages still pending go to the new target.",
        responses={**ERROR_RESPONSES, **JSON_BODY_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "admin", "body": "json"},
    )
    async def replace(
        self,
        monitor_id: IdPath,
        id: IdPath,
        data: JSONBody[SubscriptionIn],
        conn: Connection,
        queries: QueryFiles,
    ) -> Subscription:
        subscription = await _stored(conn, queries, monitor_id, id)
        if data.channel != subscription.channel:
            detail = (
                f"the channel of a subscription cannot change ({subscription.channel}); "
                "delete it and subscribe again"
            )
            raise problem(
                422, detail, errors=[{"field": "channel", "message": detail, "source": "body"}]
            )
        await queries.update_subscription(
            conn,
            monitor_id=subscription.monitor_id,
            subscription_id=subscription.id,
            subscription=data,
        )
        return await _stored(conn, queries, monitor_id, id)

    @delete(
        "/{id:str}",
        status_code=200,
        summary="Unsubscribe (its pending messages are dropped)",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "admin", "body": "none"},
    )
    async def remove(
        self, monitor_id: IdPath, id: IdPath, conn: Connection, queries: QueryFiles
    ) -> Subscription:
        subscription = await _stored(conn, queries, monitor_id, id)
        await queries.delete_subscription(
            conn, monitor_id=subscription.monitor_id, subscription_id=subscription.id
        )
        return subscription


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["alerts"]

    @get(
        "/",
        summary="Notifications and their delivery, newest first",
        description="One page of at most `limit`; when more may follow, a "
        '`Link: <...>; rel="next"` header gives the next page (`before_id`).',
        responses=ERROR_RESPONSES,
        opt={"scope": "read"},
    )
    async def list_notifications(
        self,
        request: Request,
        conn: Connection,
        queries: QueryFiles,
        settings: NamedDependency[Settings],
        status: Annotated[Literal["pending", "delivered", "failed"] | None, Parameter()] = None,
        monitor_id: Annotated[int | None, Parameter(ge=1, le=BIGINT_MAX)] = None,
        subscription_id: Annotated[int | None, Parameter(ge=1, le=BIGINT_MAX)] = None,
        alert_id: Annotated[int | None, Parameter(ge=1, le=BIGINT_MAX)] = None,
        before_id: Annotated[int | None, Parameter(ge=1, le=BIGINT_MAX)] = None,
        limit: Annotated[int, Parameter(ge=1, le=PAGE_MAX)] = 100,
    ) -> Response[list[Notification]]:
        found = await queries.list_notifications(
            conn,
            status=status,
            monitor_id=monitor_id,
            subscription_id=subscription_id,
            alert_id=alert_id,
            before_id=before_id,
            limit=limit,
        )
        headers = {}
        if len(found) == limit:
            next_page = {**request.query_params.dict(), "before_id": [str(found[-1].id)]}
            headers["Link"] = f'<{link_to(request, settings.public_url, next_page)}>; rel="next"'
        return Response(found, headers=headers)

    @post(
        "/{id:str}/retry",
        status_code=200,
        summary="Send a message again",
        description="A failed (or pending) message is due at once with a fresh count of "
        "attempts; the notifier sends it within moments. 409 for one already delivered.",
        responses={
            **ERROR_RESPONSES,
            **NOT_FOUND_RESPONSE,
            409: documented("The message was delivered"),
        },
        opt={"scope": "admin", "body": "none"},
    )
    async def retry(self, id: IdPath, conn: Connection, queries: QueryFiles) -> Notification:
        notification_id = as_id(id)
        before = None
        if notification_id is not None:
            before = await queries.retry_notification(conn, notification_id=notification_id)
        if before is None:
            raise not_found("notification")
        if before == "delivered":
            detail = "the message was delivered; receivers drop repeats by its idempotency key"
            raise problem(
                409, detail, errors=[{"field": "id", "message": detail, "source": "path"}]
            )
        (retried,) = await queries.list_notifications(conn, notification_id=notification_id)
        return retried
