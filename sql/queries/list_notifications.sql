-- Messages of the outbox, newest first, one keyset page at a time (ids below before_id).
-- params: id, status, monitor_id, subscription_id, alert_id, before_id, limit
-- row: Notification
select
    id, subscription_id, monitor_id, alert_id, channel, kind, status, attempts, next_attempt_at,
    last_error, idempotency_key, payload, created_at, delivered_at
from sentinel.notifications
where (%(id)s::bigint is null or id = %(id)s::bigint)
    and (%(status)s::text is null or status = %(status)s::text)
    and (%(monitor_id)s::bigint is null or monitor_id = %(monitor_id)s::bigint)
    and (%(subscription_id)s::bigint is null or subscription_id = %(subscription_id)s::bigint)
    and (%(alert_id)s::bigint is null or alert_id = %(alert_id)s::bigint)
    and (%(before_id)s::bigint is null or id < %(before_id)s::bigint)
order by id desc
limit %(limit)s::bigint
