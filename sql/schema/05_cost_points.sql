-- Why: the points every detector scores, from one function, so that all methods judge the same
-- series: single records, or the summed usage per series per hour or day (from the rollups).

-- A tag filter {key: [value, ...]} as one JSON path predicate, e.g. {"team": ["data", "web"],
-- "env": ["prod"]} as ($."env" == "prod") && ($."team" == "data" || $."team" == "web"): built
-- once per call (immutable, so a constant filter is folded at plan time), the per-record test is
-- then one jsonb @@ jsonpath in C instead of a subquery per record (some 50 times faster on a
-- seq scan). Keys and values are quoted as JSON strings, whose escapes JSON paths share. Null
-- for a filter without keys.
create function sentinel.tags_path(wanted jsonb)
returns jsonpath
language sql
immutable
parallel safe
as $$
    select string_agg('(' || alternatives.path || ')', ' && ' order by alternatives.key)::jsonpath
    from (
        select
            wanted.key,
            string_agg('$.' || to_jsonb(wanted.key)::text || ' == ' || allowed.value::text, ' || ')
                as path
        from jsonb_each(tags_path.wanted) as wanted (key, allowed)
        cross join lateral jsonb_array_elements(wanted.allowed) as allowed (value)
        group by wanted.key
    ) as alternatives
$$;

comment on function sentinel.tags_path(jsonb) is
    'A tag filter {key: [value, ...]} as the JSON path predicate sentinel.tags_match tests; null when it has no key.';

-- Whether a record's tags match a tag filter {key: [value, ...]}: every key of the filter is a
-- tag of the record with one of the values listed (keys AND, values OR; string values, compared
-- exactly). A record without tags (null) matches no filter with a key; every record matches a
-- filter without keys.
create function sentinel.tags_match(tags jsonb, wanted jsonb)
returns boolean
language sql
immutable
parallel safe
as $$
    select coalesce(
        tags_match.tags @@ sentinel.tags_path(tags_match.wanted),
        sentinel.tags_path(tags_match.wanted) is null
    )
$$;

comment on function sentinel.tags_match(jsonb, jsonb) is
    'True when tags (a record''s) hold, for every key of wanted ({key: [value, ...]}), one of its values. select count(*) from sentinel.billing_line_items where sentinel.tags_match(tags, ''{"team": ["data", "web"]}'')';

-- The points a detector scores: single records, or the summed cost per series per hour or day.
-- A series is one combination of the group_by columns; a column left out of group_by is null,
-- so all its values fall into the same series. group_by holds a non-empty subset of
-- {service, account_id, region}; a fixed branch per granularity, chosen by one-time filters.
-- tags (a monitor's filter.tags, {key: [value, ...]}) keeps only the records whose tags match
-- (sentinel.tags_match); the rollups carry no tags, so those points are summed from the
-- records themselves. Null (the default) is every record: the planner folds the tagged
-- branch's scan to an empty one-time filter (as for the other granularities' branches), and
-- the other branches are those of a call without tags.
create function sentinel.cost_points(granularity text, group_by text[], tags jsonb default null)
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
        and (cost_points.tags is null or sentinel.tags_match(rec.tags, cost_points.tags))
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
        and cost_points.tags is null
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
        and cost_points.tags is null
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
        and cost_points.tags is null
    group by 2, 3, 4, 5
    union all
    -- Hours and days of the records whose tags match, bucketed as the rollups are.
    select
        null::bigint as record_id,
        case when 'service' = any(cost_points.group_by) then rec.service end as service,
        case when 'account_id' = any(cost_points.group_by) then rec.account_id end as account_id,
        case when 'region' = any(cost_points.group_by) then rec.region end as region,
        date_trunc(cost_points.granularity, rec."timestamp", 'UTC') as bucket,
        sum(rec.cost) as cost
    from sentinel.billing_line_items as rec
    where cost_points.granularity in ('hour', 'day')
        and cost_points.tags is not null
        and rec.charge_type = 'usage'
        and sentinel.tags_match(rec.tags, cost_points.tags)
    group by 2, 3, 4, 5
$$;

comment on function sentinel.cost_points(text, text[], jsonb) is
    'Usage cost points per series (charge_type usage): granularity record|hour|day, group_by a subset of {service,account_id,region}, tags null or {key: [value, ...]} (only the records whose tags match). select service, bucket, cost from sentinel.cost_points(''hour'', ''{service}'')';

-- The points a stage of the detectors reads, and which of them it computes (target). Three
-- scopes, one function, so that the full computation, the refresh of the stored baselines and
-- the verdict at ingest run the very same stages (06_trailing.sql, 08_seasonal.sql):
--   * first_hours null: every point of cost_points, or with only_stale the points of the
--     services whose stored baselines are stale (sentinel.stale_baselines); all are targets;
--     services, when given, keeps the series of those services (a series without a service
--     too), at the source, where the stages' windows and shared residuals cannot take a filter
--     on their results down;
--   * spans of hours (granularity hour, group_by service: the refresh): for each services[i],
--     the hours from first_hours[i] - reach to last_hours[i]; those from first_hours[i] on are
--     targets, and the earlier ones bring their stored seasonal values, which stand in for
--     their own (recomputing them would need their whole history).
--   * a batch of records being stored (granularity record, group_by service: the verdict at
--     ingest, sql/queries/insert_billing_records_scored.sql): its records, passed in because
--     the statement storing them cannot read them yet, are the targets; the usage records of
--     their services from reach before the batch's first one up to its last come with them.
-- The branches read views of schema sentinel, by a range scan per service for the spans and
-- the batch. tags (as in sentinel.cost_points) narrows the first scope only: the spans bring
-- stored values, which are computed over all records, so a tagged call reads no span.
create type sentinel_internal.batch_record as (
    record_id bigint,
    service text,
    "timestamp" timestamptz,
    cost numeric
);

comment on type sentinel_internal.batch_record is
    'A record of a batch being stored, as sentinel_internal.scoped_points takes it.';

create function sentinel_internal.scoped_points(
    granularity text,
    group_by text[],
    only_stale boolean,
    services text[],
    first_hours timestamptz[],
    last_hours timestamptz[],
    reach interval,
    tags jsonb default null,
    batch sentinel_internal.batch_record[] default null
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
    from sentinel.cost_points(scoped_points.granularity, scoped_points.group_by, scoped_points.tags) as point
    where scoped_points.first_hours is null and scoped_points.batch is null
        and (
            scoped_points.services is null
            or point.service is null
            or point.service = any (scoped_points.services)
        )
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
        and scoped_points.tags is null
    union all
    -- The batch's records (the targets) and the earlier usage records of their services.
    select
        point.record_id,
        point.service,
        null::text as account_id,
        null::text as region,
        point."timestamp" as bucket,
        point.cost,
        point.target,
        '-infinity'::timestamptz as first_hour,
        null::double precision as stored_ratio,
        null::bigint as stored_count,
        null::double precision as stored_shape,
        null::double precision as stored_expected
    from (
        select batch.record_id, batch.service, batch."timestamp", batch.cost, true as target
        from unnest(scoped_points.batch) as batch
        union all
        select earlier.id, earlier.service, earlier."timestamp", earlier.cost, false
        from (
            select
                batch.service,
                min(batch."timestamp") - scoped_points.reach as since,
                max(batch."timestamp") as until
            from unnest(scoped_points.batch) as batch
            group by batch.service
        ) as span
        cross join lateral (
            select rec.id, rec.service, rec."timestamp", rec.cost
            from sentinel.billing_line_items as rec
            where rec.service = span.service
                and rec."timestamp" >= span.since
                and rec."timestamp" < span.until
                and rec.charge_type = 'usage'
            -- Not flattened into a join: one index range scan per service.
            offset 0
        ) as earlier
    ) as point
    where scoped_points.batch is not null and scoped_points.granularity = 'record'
        and scoped_points.group_by = array['service']
$$;

comment on function sentinel_internal.scoped_points(text, text[], boolean, text[], timestamptz[], timestamptz[], interval, jsonb, sentinel_internal.batch_record[]) is
    'The points a detector stage reads: all (or the stale services''), spans of hours (refresh) or a batch being stored with the records before it (ingest), with target marking the points to compute.';
