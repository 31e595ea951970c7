-- Why: undo 0012; single records are judged whatever their charge type again.
create or replace function sentinel.cost_points(granularity text, group_by text[])
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
    from sentinel.billing_records as rec
    where cost_points.granularity = 'record'
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
    'Cost points per series: granularity record|hour|day, group_by a subset of {service,account_id,region}. select service, bucket, cost from sentinel.cost_points(''hour'', ''{service}'')';
