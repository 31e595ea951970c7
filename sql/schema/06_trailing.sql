-- Why: the trailing detector (method=trailing), the simplest causal baseline.

-- method=trailing: mean and population stddev of the same series over the preceding window,
-- the current bucket excluded. Numeric moving aggregates are exact and run in linear time.
-- Hour buckets per service at the default window (sentinel.detector_defaults) come precomputed from the rollup, except
-- for the services whose stored baselines are stale (sentinel.stale_baselines, until
-- sentinel.refresh_baselines() runs): those are computed in full, so the answer never depends
-- on whether a refresh has run. Both tests are init plans, computed once per call; when nothing
-- is stale the full branch is skipped without reading the rollup.
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
    spread double precision
)
language sql
stable
as $$
    select
        rollup_point.record_id,
        rollup_point.service,
        rollup_point.account_id,
        rollup_point.region,
        rollup_point.bucket,
        rollup_point.cost::double precision as cost,
        count(*) over preceding_window as baseline_count,
        (avg(rollup_point.cost) over preceding_window)::double precision as expected,
        (stddev_pop(rollup_point.cost) over preceding_window)::double precision as spread
    from sentinel.cost_points(trailing_baseline.granularity, trailing_baseline.group_by) as rollup_point
    where not (
        trailing_baseline.granularity = 'hour'
        and trailing_baseline.group_by = array['service']
        and trailing_baseline.baseline = sentinel.default_window('trailing')
    )
        or (
            -- A one-time filter: when nothing is stale the full branch reads nothing.
            exists (select from sentinel.stale_baselines)
            and rollup_point.service = any (
                array(select stale.service from sentinel.stale_baselines as stale)
            )
        )
    window preceding_window as (
        partition by rollup_point.service, rollup_point.account_id, rollup_point.region
        order by rollup_point.bucket
        range between trailing_baseline.baseline preceding and interval '1 microsecond' preceding
    )
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
        stored.baseline_stddev as spread
    from sentinel.service_hourly_costs as stored
    where trailing_baseline.granularity = 'hour'
        and trailing_baseline.group_by = array['service']
        and trailing_baseline.baseline = sentinel.default_window('trailing')
        and stored.service <> all (array(select stale.service from sentinel.stale_baselines as stale))
$$;

comment on function sentinel.trailing_baseline(text, text[], interval) is
    'Each cost point with the mean (expected) and population stddev (spread) of its series over the preceding window, current point excluded.';
