-- Why: the robust detector (method=robust), the trailing window with medians instead of means.

-- method=robust: median and MAD over the same trailing window (modified z-score), so earlier
-- spikes in the window neither inflate the expected value nor the spread. tags as in
-- sentinel.cost_points.
create function sentinel.robust_baseline(
    granularity text,
    group_by text[],
    baseline interval,
    tags jsonb default null
)
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
    -- The series' mean daily spend over the window, for materiality.
    daily_spend double precision
)
language sql
stable
as $$
    with windowed as (
        select
            point.record_id,
            point.service,
            point.account_id,
            point.region,
            point.bucket,
            point.cost::double precision as cost,
            array_agg(point.cost::double precision) over preceding_window as peers,
            (sum(point.cost) over preceding_window)::double precision as window_spend
        from sentinel.cost_points(robust_baseline.granularity, robust_baseline.group_by, robust_baseline.tags) as point
        window preceding_window as (
            partition by point.service, point.account_id, point.region
            order by point.bucket
            range between robust_baseline.baseline preceding and interval '1 microsecond' preceding
        )
    )
    select
        windowed.record_id,
        windowed.service,
        windowed.account_id,
        windowed.region,
        windowed.bucket,
        windowed.cost,
        coalesce(cardinality(windowed.peers), 0)::bigint as baseline_count,
        center.median as expected,
        sentinel.robust_spread(deviation.mad, deviation.mean_deviation) as spread,
        coalesce(windowed.window_spend, 0) / (extract(epoch from robust_baseline.baseline) / 86400) as daily_spend
    from windowed
    cross join lateral (
        select percentile_cont(0.5) within group (order by peer.value) as median
        from unnest(windowed.peers) as peer (value)
    ) as center
    cross join lateral (
        select
            percentile_cont(0.5) within group (order by abs(peer.value - center.median)) as mad,
            avg(abs(peer.value - center.median)) as mean_deviation
        from unnest(windowed.peers) as peer (value)
    ) as deviation
$$;

comment on function sentinel.robust_baseline(text, text[], interval, jsonb) is
    'Each cost point with the median (expected) and robust_spread (1.4826 * MAD) of its series over the preceding window, current point excluded, and its mean daily spend over that window.';
