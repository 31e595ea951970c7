-- A monitor's subscriptions, oldest first; subscription_id picks one.
-- params: monitor_id, subscription_id
-- row: Subscription
select id, monitor_id, channel, target, frequency, min_impact, min_pct, digested_until, created_at
from sentinel.subscriptions
where monitor_id = %(monitor_id)s::bigint
    and (%(subscription_id)s::bigint is null or id = %(subscription_id)s::bigint)
order by id
