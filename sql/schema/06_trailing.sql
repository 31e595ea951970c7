-- Why: the trailing detector (method=trailing), the simplest causal baseline, defined once: the
-- full computation, the stored baselines of its default call (09_refresh.sql), the seasonal
-- detector's ratios (08_seasonal.sql) and the verdict at ingest
-- (sql/queries/insert_billing_records_scored.sql, which hands it the batch being stored) read
-- trailing_points.

-- Each point with the count, mean (expected) and population stddev (spread) of its series over
-- the window before it, the point itself excluded. Numeric moving aggregates are exact and run
-- in linear time. scope and tags as in sentinel_internal.scoped_points; reach (at least
-- baseline) is how far before a span the points are read.
create function sentinel_internal.trailing_points(
    granularity text,
    group_by text[],
    baseline interval,
    reach interval,
    only_stale boolean,
    services text[],
    first_hours timestamptz[],
    last_hours timestamptz[],
    tags jsonb default null,
    batch sentinel_internal.batch_record[] default null
)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost double precision,
    target boolean,
    first_hour timestamptz,
    stored_ratio double precision,
    stored_count bigint,
    stored_shape double precision,
    stored_expected double precision,
    baseline_count bigint,
    expected double precision,
    spread double precision
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
        point.cost::double precision as cost,
        point.target,
        point.first_hour,
        point.stored_ratio,
        point.stored_count,
        point.stored_shape,
        point.stored_expected,
        count(*) over preceding_window as baseline_count,
        (avg(point.cost) over preceding_window)::double precision as expected,
        (stddev_pop(point.cost) over preceding_window)::double precision as spread
    from sentinel_internal.scoped_points(
        trailing_points.granularity,
        trailing_points.group_by,
        trailing_points.only_stale,
        trailing_points.services,
        trailing_points.first_hours,
        trailing_points.last_hours,
        trailing_points.reach,
        trailing_points.tags,
        trailing_points.batch
    ) as point
    window preceding_window as (
        partition by point.service, point.account_id, point.region
        order by point.bucket
        range between trailing_points.baseline preceding and interval '1 microsecond' preceding
    )
$$;

comment on function sentinel_internal.trailing_points(text, text[], interval, interval, boolean, text[], timestamptz[], timestamptz[], jsonb, sentinel_internal.batch_record[]) is
    'The trailing detector''s stage: each point of the scope with count, mean and stddev of its series over the preceding window.';

-- The stage at the ingest defaults for a batch being stored (the verdict at ingest,
-- sql/queries/insert_billing_records_scored.sql): each record of the batch with its window.
-- PL/pgSQL for its plan: the statement's argument is a subquery, so trailing_points cannot be
-- inlined there and a SQL function would plan its every branch again on each call (1.4 ms, as
-- much as storing one record); here the plan, with the constant arguments folded, is kept for
-- the session.
create function sentinel_internal.batch_trailing_points(batch sentinel_internal.batch_record[])
returns table (
    record_id bigint,
    baseline_count bigint,
    expected double precision,
    spread double precision
)
language plpgsql
stable
as $$
begin
    return query
    select point.record_id, point.baseline_count, point.expected, point.spread
    from sentinel_internal.trailing_points(
        'record',
        array['service'],
        sentinel.default_window('ingest'),
        sentinel.default_window('ingest'),
        false,
        null,
        null,
        null,
        null,
        batch_trailing_points.batch
    ) as point
    where point.target;
end
$$;

comment on function sentinel_internal.batch_trailing_points(sentinel_internal.batch_record[]) is
    'The trailing stage at the ingest window for a batch being stored: count, mean and stddev of the usage records of its service in the window before each record of the batch.';

-- method=trailing. Hour buckets per service at the default window come from the stored
-- baselines, except for the services whose stored baselines are stale (sentinel.stale_baselines,
-- until sentinel.refresh_baselines() runs): those are computed in full, so the answer never
-- depends on whether a refresh has run. The choice is made once per call (one-time filters);
-- when nothing is stale the full branch reads nothing.
create function sentinel.trailing_baseline(granularity text, group_by text[], baseline interval)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost double precision,
    baseline_count bigint,
    expected double precision,
    spread double precision,
    -- The series' mean daily spend over the window (sentinel.daily_spend), for materiality.
    daily_spend double precision
)
language sql
stable
as $$
    select
        computed.record_id,
        computed.service,
        computed.account_id,
        computed.region,
        computed.bucket,
        computed.cost,
        computed.baseline_count,
        computed.expected,
        computed.spread,
        sentinel.daily_spend(computed.expected, computed.baseline_count, trailing_baseline.baseline)
            as daily_spend
    from sentinel_internal.trailing_points(
        trailing_baseline.granularity,
        trailing_baseline.group_by,
        trailing_baseline.baseline,
        trailing_baseline.baseline,
        -- The default call: only the stale services are computed here.
        trailing_baseline.granularity = 'hour'
            and trailing_baseline.group_by = array['service']
            and trailing_baseline.baseline = sentinel.default_window('trailing'),
        null,
        null,
        null
    ) as computed
    union all
    select
        null::bigint as record_id,
        stored.service,
        null::text as account_id,
        null::text as region,
        stored.hour as bucket,
        stored.cost::double precision as cost,
        stored.baseline_count,
        stored.baseline_mean as expected,
        stored.baseline_stddev as spread,
        sentinel.daily_spend(stored.baseline_mean, stored.baseline_count, trailing_baseline.baseline)
            as daily_spend
    from sentinel.service_hourly_costs as stored
    where trailing_baseline.granularity = 'hour'
        and trailing_baseline.group_by = array['service']
        and trailing_baseline.baseline = sentinel.default_window('trailing')
        and stored.service <> all (array(select stale.service from sentinel.stale_baselines as stale))
$$;

comment on function sentinel.trailing_baseline(text, text[], interval) is
    'Each cost point with the mean (expected) and population stddev (spread) of its series over the preceding window, current point excluded, and its mean daily spend over that window.';
