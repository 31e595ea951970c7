-- Change who hears of a monitor's alerts, and when (the channel and a webhook's secret stay:
-- receivers verify with it). Messages still pending go to the new target. Returns the id,
-- nothing when there is no such subscription of that monitor or its channel is another.
-- params: monitor_id, subscription_id, channel, target, frequency, min_impact, min_pct
update sentinel_data.subscription
set target = %(target)s::text,
    frequency = %(frequency)s::text,
    min_impact = %(min_impact)s::double precision,
    min_pct = %(min_pct)s::double precision
where monitor_id = %(monitor_id)s::bigint
    and id = %(subscription_id)s::bigint
    and channel = %(channel)s::text
returning id
