-- Why: the points every detector scores, from one function, so that all methods judge the same
-- series: single records, or the summed usage per series per hour or day (from the rollups).
-- The points a detector scores: single records, or the summed cost per series per hour or day.
-- A series is one combination of the group_by columns; a column left out of group_by is null,
-- so all its values fall into the same series. group_by holds a non-empty subset of
-- {service, account_id, region}; a fixed branch per granularity, chosen by one-time filters.
create function sentinel.cost_points(granularity text, group_by text[])
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost numeric
)
language sql
stable
as $$
    select
        rec.id as record_id,
        case when 'service' = any(cost_points.group_by) then rec.service end as service,
        case when 'account_id' = any(cost_points.group_by) then rec.account_id end as account_id,
        case when 'region' = any(cost_points.group_by) then rec.region end as region,
        rec."timestamp" as bucket,
        rec.cost
    from sentinel.billing_line_items as rec
    where cost_points.granularity = 'record' and rec.charge_type = 'usage'
    union all
    select
        null::bigint as record_id,
        rollup.service,
        null::text as account_id,
        null::text as region,
        rollup.hour as bucket,
        rollup.cost
    from sentinel.service_hourly_costs as rollup
    where cost_points.granularity = 'hour' and cost_points.group_by = array['service']
    union all
    select
        null::bigint as record_id,
        case when 'service' = any(cost_points.group_by) then rollup.service end as service,
        case when 'account_id' = any(cost_points.group_by) then rollup.account_id end as account_id,
        case when 'region' = any(cost_points.group_by) then rollup.region end as region,
        rollup.hour as bucket,
        sum(rollup.cost) as cost
    from sentinel.hourly_costs as rollup
    where cost_points.granularity = 'hour' and cost_points.group_by <> array['service']
    group by 2, 3, 4, 5
    union all
    select
        null::bigint as record_id,
        case when 'service' = any(cost_points.group_by) then rollup.service end as service,
        case when 'account_id' = any(cost_points.group_by) then rollup.account_id end as account_id,
        case when 'region' = any(cost_points.group_by) then rollup.region end as region,
        date_trunc('day', rollup.hour, 'UTC') as bucket,
        sum(rollup.cost) as cost
    from sentinel.hourly_costs as rollup
    where cost_points.granularity = 'day'
    group by 2, 3, 4, 5
$$;

comment on function sentinel.cost_points(text, text[]) is
    'Usage cost points per series (charge_type usage): granularity record|hour|day, group_by a subset of {service,account_id,region}. select service, bucket, cost from sentinel.cost_points(''hour'', ''{service}'')';
