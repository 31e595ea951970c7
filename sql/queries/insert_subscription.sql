-- Subscribe to a monitor's alerts; nothing is returned when there is no such monitor.
-- params: monitor_id, channel, target, frequency, min_impact, min_pct, secret (webhooks)
insert into sentinel_data.subscription (monitor_id, channel, target, frequency, min_impact, min_pct, secret)
select monitor.id, %(channel)s::text, %(target)s::text, %(frequency)s::text,
    %(min_impact)s::double precision, %(min_pct)s::double precision, %(secret)s::text
from sentinel_data.monitor as monitor
where monitor.id = %(monitor_id)s::bigint
returning id
