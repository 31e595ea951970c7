-- Every point of one service's series in [start, end), scored by a causal detector
-- (sentinel.detect, sql/schema/10_detect.sql): cost, expected, the band and the verdict, for a
-- chart of one series. The detector reads the service's whole history (a point is judged
-- against the data before it); only the range is returned. group_by always holds service;
-- account_id and region narrow to one account or region when given. Null end: the end of the
-- service's newest bucket; null start: span before end. Rounded as find_detected_anomalies.sql.
-- params: as find_detected_anomalies.sql (method, granularity, group_by, window, threshold,
--         min_impact, min_pct, direction, min_daily_pct), plus service, account_id, region
--         (text or null), start, end (timestamptz or null), span interval
-- row: SeriesPoint
with span as (
    select
        coalesce(%(start)s::timestamptz, span_end.at - %(span)s::interval) as start_at,
        span_end.at as end_at
    from (
        select coalesce(
            %(end)s::timestamptz,
            (
                select case %(granularity)s::text
                    when 'day' then date_trunc('day', max(sh.hour), 'UTC') + interval '1 day'
                    else max(sh.hour) + interval '1 hour'
                end
                from sentinel.service_hourly_costs as sh
                where sh.service = %(service)s::text
            )
        ) as at
    ) as span_end
)
select
    point.service,
    point.account_id,
    point.region,
    point.bucket,
    round(point.cost::numeric, 4)::double precision as cost,
    round(point.expected::numeric, 4)::double precision as expected,
    round(point.lower_bound::numeric, 4)::double precision as lower_bound,
    round(point.upper_bound::numeric, 4)::double precision as upper_bound,
    round(point.score::numeric, 3)::double precision as z_score,
    round(point.impact::numeric, 4)::double precision as impact,
    round(point.impact_pct::numeric, 1)::double precision as impact_pct,
    point.baseline_count,
    round(point.daily_spend::numeric, 4)::double precision as daily_spend,
    point.anomaly,
    point.method,
    %(granularity)s::text as granularity
from sentinel.detect(
    coalesce(%(method)s::text, sentinel.recommended_method()),
    %(granularity)s::text,
    %(group_by)s::text[],
    %(window)s::interval,
    %(threshold)s::double precision,
    %(min_impact)s::double precision,
    %(min_pct)s::double precision,
    %(direction)s::text,
    services => array[%(service)s::text],
    min_daily_pct => %(min_daily_pct)s::double precision
) as point, span
where point.service = %(service)s::text
    and (%(account_id)s::text is null or point.account_id = %(account_id)s::text)
    and (%(region)s::text is null or point.region = %(region)s::text)
    and point.bucket >= span.start_at
    and point.bucket < span.end_at
order by point.account_id, point.region, point.bucket
