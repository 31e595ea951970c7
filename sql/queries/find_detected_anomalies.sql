-- Points flagged by a causal detector (sentinel.detect, sql/schema/10_detect.sql), largest |score| first.
-- Each point is judged only against the same series' data before it, so a verdict never changes
-- when later data arrives. The function picks its fixed branch from method and granularity.
-- Null method, window or threshold: the defaults of sentinel.detector_defaults.
-- params: method (trailing|robust|seasonal), granularity (record|hour|day),
--         group_by text[] (subset of service, account_id, region, in that order),
--         window interval, threshold, min_impact and min_pct (null = no condition),
--         direction (up|down|both; null = the original rule's |score|)
-- row: DetectedAnomaly
select
    record_id as id,
    service,
    cost,
    bucket as "timestamp",
    region,
    account_id,
    round(score::numeric, 3)::double precision as z_score,
    expected,
    lower_bound,
    upper_bound,
    impact,
    impact_pct,
    method,
    %(granularity)s::text as granularity,
    bucket
from sentinel.detect(
    coalesce(%(method)s::text, sentinel.recommended_method()),
    %(granularity)s::text,
    %(group_by)s::text[],
    %(window)s::interval,
    %(threshold)s::double precision,
    %(min_impact)s::double precision,
    %(min_pct)s::double precision,
    %(direction)s::text
)
where anomaly
order by abs(score) desc, bucket, record_id
