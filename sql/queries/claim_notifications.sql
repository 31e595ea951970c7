-- The notifier's next due messages, locked until its transaction ends: another notifier skips
-- them, and a notifier that dies mid-delivery leaves them pending for the next one (a receiver
-- may then get a message twice, with the same idempotency key). Oldest due first.
-- params: limit
-- row: Delivery
select
    notification.id,
    notification.kind,
    notification.idempotency_key,
    notification.payload,
    notification.attempts,
    subscription.channel,
    subscription.target,
    subscription.secret
from sentinel_data.notification as notification
join sentinel_data.subscription as subscription on subscription.id = notification.subscription_id
where notification.status = 'pending' and notification.next_attempt_at <= now()
order by notification.next_attempt_at, notification.id
limit %(limit)s::bigint
for update of notification skip locked
