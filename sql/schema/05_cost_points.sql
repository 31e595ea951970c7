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

-- The points a stage of the detectors reads, and which of them it computes (target). Three
-- scopes, one function, so that the full computation and the refresh of the stored baselines
-- run the very same stages (06_trailing.sql, 08_seasonal.sql):
--   * first_hours null: every point of cost_points, or with only_stale the points of the
--     services whose stored baselines are stale (sentinel.stale_baselines); all are targets;
--   * spans of hours (granularity hour, group_by service: the refresh): for each services[i],
--     the hours from first_hours[i] - reach to last_hours[i]; those from first_hours[i] on are
--     targets, and the earlier ones bring their stored seasonal values, which stand in for
--     their own (recomputing them would need their whole history).
-- Both branches read views of schema sentinel, by a range scan per service for the spans.
create function sentinel_internal.scoped_points(
    granularity text,
    group_by text[],
    only_stale boolean,
    services text[],
    first_hours timestamptz[],
    last_hours timestamptz[],
    reach interval
)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost numeric,
    target boolean,
    first_hour timestamptz,
    stored_ratio double precision,
    stored_count bigint,
    stored_shape double precision,
    stored_expected double precision
)
language sql
stable
as $$
    select
        point.record_id,
        point.service,
        point.account_id,
        point.region,
        point.bucket,
        point.cost,
        true as target,
        '-infinity'::timestamptz as first_hour,
        null::double precision as stored_ratio,
        null::bigint as stored_count,
        null::double precision as stored_shape,
        null::double precision as stored_expected
    from sentinel.cost_points(scoped_points.granularity, scoped_points.group_by) as point
    where scoped_points.first_hours is null
        and (
            not scoped_points.only_stale
            or (
                -- A one-time filter: when nothing is stale this branch reads nothing.
                exists (select from sentinel.stale_baselines)
                and point.service = any (
                    array(select stale.service from sentinel.stale_baselines as stale)
                )
            )
        )
    union all
    select
        null::bigint as record_id,
        stored.service,
        null::text as account_id,
        null::text as region,
        stored.hour as bucket,
        stored.cost,
        stored.hour >= changed.first_hour as target,
        changed.first_hour,
        stored.seasonal_ratio,
        stored.seasonal_count,
        stored.seasonal_shape,
        stored.seasonal_expected
    from unnest(scoped_points.services, scoped_points.first_hours, scoped_points.last_hours)
        as changed (service, first_hour, last_hour)
    cross join lateral (
        select
            rollup.service,
            rollup.hour,
            rollup.cost,
            rollup.seasonal_ratio,
            rollup.seasonal_count,
            rollup.seasonal_shape,
            rollup.seasonal_expected
        from sentinel.service_hourly_costs as rollup
        where rollup.service = changed.service
            and rollup.hour >= changed.first_hour - scoped_points.reach
            and rollup.hour <= changed.last_hour
        -- Not flattened: a primary key range scan per service, never a scan of the table.
        offset 0
    ) as stored
    where scoped_points.first_hours is not null and scoped_points.granularity = 'hour'
$$;

comment on function sentinel_internal.scoped_points(text, text[], boolean, text[], timestamptz[], timestamptz[], interval) is
    'The points a detector stage reads: all (or the stale services''), or spans of hours (refresh) with target marking the points to compute.';
