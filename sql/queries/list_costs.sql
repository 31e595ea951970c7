-- Usage spend per series per hour or day, from the rollups (never the records): what a chart of
-- spend over time draws. A column left out of group_by is null, its values summed, as in
-- sentinel.cost_points. The range is [start, end); null end: the end of the newest bucket of
-- stored usage; null start: the 30 days before end. One more row than max_rows is read, so the
-- caller can tell a result that would exceed it (and ask for a narrower one).
-- params: granularity (hour|day), group_by text[] (subset of service, account_id, region),
--         services text[] (null: all), start, end (timestamptz or null), max_rows bigint
-- row: CostPoint
with newest as (
    -- The newest stored hour, one index probe per service (service_hourly_cost is keyed by
    -- service, hour), not a scan of every rollup row.
    select max(latest.hour) as hour
    from sentinel_data.service_totals as totals
    cross join lateral (
        select max(sh.hour) as hour
        from sentinel.service_hourly_costs as sh
        where sh.service = totals.service
    ) as latest
),
span as (
    select
        coalesce(%(start)s::timestamptz, span_end.at - interval '30 days') as start_at,
        span_end.at as end_at
    from (
        select coalesce(
            %(end)s::timestamptz,
            case %(granularity)s::text
                when 'day' then date_trunc('day', newest.hour, 'UTC') + interval '1 day'
                else newest.hour + interval '1 hour'
            end
        ) as at
        from newest
    ) as span_end
)
select
    case when 'service' = any (%(group_by)s::text[]) then costs.service end as service,
    case when 'account_id' = any (%(group_by)s::text[]) then costs.account_id end as account_id,
    case when 'region' = any (%(group_by)s::text[]) then costs.region end as region,
    case %(granularity)s::text
        when 'day' then date_trunc('day', costs.hour, 'UTC')
        else costs.hour
    end as bucket,
    round(sum(costs.cost), 4)::double precision as cost,
    sum(costs.record_count)::bigint as record_count
from sentinel.hourly_costs as costs, span
where costs.hour >= span.start_at
    and costs.hour < span.end_at
    and (%(services)s::text[] is null or costs.service = any (%(services)s::text[]))
group by 1, 2, 3, 4
order by bucket, service, account_id, region
limit %(max_rows)s::bigint + 1
