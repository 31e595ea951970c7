-- Anomaly events: runs of consecutive flagged points of one series (sentinel.anomaly_events,
-- sql/schema/10_detect.sql), newest first, so a lasting change in spend alerts once.
-- Money rounded to 4 decimals, as find_detected_anomalies.
-- params: method, granularity, group_by text[], window interval, threshold, min_impact,
--         min_pct, direction, min_daily_pct (as find_detected_anomalies)
-- row: AnomalyEvent
select
    service,
    account_id,
    region,
    started_at,
    ended_at,
    ongoing,
    point_count,
    round(peak_score::numeric, 3)::double precision as peak_score,
    round(peak_cost::numeric, 4)::double precision as peak_cost,
    round(total_impact::numeric, 4)::double precision as total_impact,
    method,
    %(granularity)s::text as granularity
from sentinel.anomaly_events(
    coalesce(%(method)s::text, sentinel.recommended_method()),
    %(granularity)s::text,
    %(group_by)s::text[],
    %(window)s::interval,
    %(threshold)s::double precision,
    %(min_impact)s::double precision,
    %(min_pct)s::double precision,
    %(direction)s::text,
    min_daily_pct => %(min_daily_pct)s::double precision
)
order by started_at desc, service, account_id, region
