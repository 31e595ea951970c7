-- Anomaly events: runs of consecutive flagged points of one series (sentinel.anomaly_events,
-- sql/schema/10_detect.sql), newest first, so a lasting change in spend alerts once.
-- params: method, granularity, group_by text[], window interval, threshold, min_impact,
--         min_pct, direction (as find_detected_anomalies)
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
    peak_cost,
    total_impact,
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
    %(direction)s::text
)
order by started_at desc, service, account_id, region
