-- Alerts newest first (by start, then id), filtered, one keyset page at a time: the next page
-- holds the alerts after the one with id before_id in that order. alert_id picks one alert.
-- params: alert_id, monitor_id, status, service, since timestamptz (started at or after),
--         min_impact (total_impact at least), before_id (the keyset), limit
-- row: Alert
select
    id,
    monitor_id,
    monitor_name,
    service,
    account_id,
    region,
    status,
    started_at,
    last_flagged_at,
    ended_at,
    bucket_count,
    round(peak_score::numeric, 3)::double precision as peak_score,
    round(actual::numeric, 2)::double precision as actual,
    round(expected::numeric, 2)::double precision as expected,
    round(total_impact::numeric, 2)::double precision as total_impact,
    round(max_impact::numeric, 2)::double precision as max_impact,
    round(impact_pct::numeric, 1)::double precision as impact_pct,
    root_causes,
    feedback,
    quiet_until,
    method,
    granularity,
    created_at,
    updated_at
from sentinel.alerts
where (%(alert_id)s::bigint is null or id = %(alert_id)s::bigint)
    and (%(monitor_id)s::bigint is null or monitor_id = %(monitor_id)s::bigint)
    and (%(status)s::text is null or status = %(status)s::text)
    and (%(service)s::text is null or service = %(service)s::text)
    and (%(since)s::timestamptz is null or started_at >= %(since)s::timestamptz)
    and (%(min_impact)s::double precision is null or total_impact >= %(min_impact)s::double precision)
    and (
        %(before_id)s::bigint is null
        or (started_at, id) < (
            select last.started_at, last.id
            from sentinel.alerts as last
            where last.id = %(before_id)s::bigint
        )
    )
order by started_at desc, id desc
limit %(limit)s::bigint
