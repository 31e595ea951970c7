-- Points flagged by a causal detector (sentinel.detect, sql/schema/10_detect.sql), largest |score| first.
-- Each point is judged only against the same series' data before it, so a verdict never changes
-- when later data arrives. The function picks its fixed branch from method and granularity.
-- Null method, window or threshold: the defaults of sentinel.detector_defaults.
-- Money is rounded to 4 decimals (a hundredth of a cent: hourly charges are often fractions of a
-- cent), percents to 1, scores to 3; the verdict is the unrounded one.
-- params: method (trailing|robust|seasonal), granularity (record|hour|day),
--         group_by text[] (subset of service, account_id, region, in that order),
--         window interval, threshold, min_impact, min_pct, direction (up|down|both),
--         min_daily_pct (null: the method's default)
-- row: DetectedAnomaly
select
    record_id as id,
    service,
    cost,
    bucket as "timestamp",
    region,
    account_id,
    round(score::numeric, 3)::double precision as z_score,
    round(expected::numeric, 4)::double precision as expected,
    round(lower_bound::numeric, 4)::double precision as lower_bound,
    round(upper_bound::numeric, 4)::double precision as upper_bound,
    round(impact::numeric, 4)::double precision as impact,
    round(impact_pct::numeric, 1)::double precision as impact_pct,
    baseline_count,
    round(daily_spend::numeric, 4)::double precision as daily_spend,
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
    %(direction)s::text,
    min_daily_pct => %(min_daily_pct)s::double precision
)
where anomaly
order by abs(score) desc, bucket, record_id
