-- Why: the seasonal detector (method=seasonal), the recommended one: it catches surges at quiet
-- hours in their first hour and alerts once on a lasting level shift (bench/RESULTS.md).

-- method=seasonal: the expected value is a seasonal shape times the current level.
--   shape: the median, over the comparable periods of the preceding window (same hour of day on
--     the same kind of day, weekday or weekend; for day buckets the same kind of day), of each
--     peer's ratio to the mean of the 7 days before that peer, so growth and earlier level
--     shifts do not bias it and a past spike at 14:00 does not mask the next one;
--   level: the median of cost / shape over the preceding day (week, for day buckets), so the
--     baseline follows a lasting change after half that span (a level shift alerts once, at its
--     onset) while spikes and surges shorter than that do not move it;
--   spread: the greatest of three robust spreads (sentinel.robust_spread), each pooled so that
--     earlier anomalies (a minority) do not inflate it:
--     * proportional noise: the relative residuals |cost / expected - 1| of the 7 whole UTC
--       days before the point's day (D-7 to D-1 for every point of day D; for day buckets the
--       28 days before, as before), times |expected|; one value per series and day, computed
--       once per day from the days' arrays of residuals and handed to the day's points;
--     * noise of a sum of charges (variance proportional to the level): the residuals
--       |cost - expected| / sqrt(|expected|) of the same days, times sqrt(|expected|); it
--       keeps quiet hours of sparse series from alerting on a few units while busy hours stay
--       tight;
--     * the absolute residuals of the same hours in the window.
-- baseline_count is the number of comparable periods behind the shape.
-- Hour buckets per service at the default 28-day window come precomputed from the rollup
-- (sentinel_internal.recompute_baselines keeps them with the same expressions), so the
-- recommended call reads one row per hour instead of sorting arrays of peers for every hour of
-- the year. Services whose stored baselines are stale (sentinel.stale_baselines) are computed
-- in full instead, as in sentinel.trailing_baseline.
create function sentinel.seasonal_baseline(granularity text, group_by text[], baseline interval)
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
    with points as (
        select
            point.record_id,
            point.service,
            point.account_id,
            point.region,
            point.bucket,
            point.cost::double precision as cost,
            case
                when seasonal_baseline.granularity = 'day' then -1
                else extract(hour from point.bucket at time zone 'UTC')::integer
            end as hour_of_day,
            extract(isodow from point.bucket at time zone 'UTC') in (6, 7) as weekend,
            point.cost::double precision
                / nullif(avg(point.cost) over last_week, 0)::double precision as ratio
        from sentinel.cost_points(seasonal_baseline.granularity, seasonal_baseline.group_by) as point
        where not (
            seasonal_baseline.granularity = 'hour'
            and seasonal_baseline.group_by = array['service']
            and seasonal_baseline.baseline = sentinel.default_window('seasonal')
        )
            or (
                -- A one-time filter: when nothing is stale the full branch reads nothing.
                exists (select from sentinel.stale_baselines)
                and point.service = any (
                    array(select stale.service from sentinel.stale_baselines as stale)
                )
            )
        window last_week as (
            partition by point.service, point.account_id, point.region
            order by point.bucket
            -- The ratio is the point against its trailing baseline (the trailing detector's window).
            range between sentinel.default_window('trailing') preceding and interval '1 microsecond' preceding
        )
    ),
    comparable as (
        select
            points.record_id,
            points.service,
            points.account_id,
            points.region,
            points.bucket,
            points.cost,
            points.hour_of_day,
            points.weekend,
            array_agg(points.ratio) filter (where points.ratio is not null) over same_period as ratios
        from points
        window same_period as (
            partition by points.service, points.account_id, points.region, points.hour_of_day, points.weekend
            order by points.bucket
            range between seasonal_baseline.baseline preceding and interval '1 microsecond' preceding
        )
    ),
    shaped as (
        select
            comparable.record_id,
            comparable.service,
            comparable.account_id,
            comparable.region,
            comparable.bucket,
            comparable.cost,
            comparable.hour_of_day,
            comparable.weekend,
            coalesce(cardinality(comparable.ratios), 0)::bigint as baseline_count,
            nullif(shape.median, 0) as shape
        from comparable
        cross join lateral (
            select percentile_cont(0.5) within group (order by ratio.value) as median
            from unnest(comparable.ratios) as ratio (value)
        ) as shape
    ),
    leveled as (
        select
            shaped.record_id,
            shaped.service,
            shaped.account_id,
            shaped.region,
            shaped.bucket,
            shaped.cost,
            shaped.hour_of_day,
            shaped.weekend,
            shaped.baseline_count,
            shaped.shape,
            array_agg(shaped.cost / shaped.shape) filter (where shaped.shape is not null) over recent as levels
        from shaped
        window recent as (
            partition by shaped.service, shaped.account_id, shaped.region
            order by shaped.bucket
            range between
                case when seasonal_baseline.granularity = 'day' then interval '7 days' else interval '1 day' end
                preceding
            and interval '1 microsecond' preceding
        )
    ),
    expected as (
        select
            leveled.record_id,
            leveled.service,
            leveled.account_id,
            leveled.region,
            leveled.bucket,
            leveled.cost,
            leveled.hour_of_day,
            leveled.weekend,
            leveled.baseline_count,
            leveled.shape * level.median as expected
        from leveled
        cross join lateral (
            select percentile_cont(0.5) within group (order by recent.value) as median
            from unnest(leveled.levels) as recent (value)
        ) as level
    ),
    residuals as (
        select
            expected.record_id,
            expected.service,
            expected.account_id,
            expected.region,
            expected.bucket,
            expected.cost,
            expected.baseline_count,
            expected.expected,
            array_agg(abs(expected.cost - expected.expected)) over same_period as period_deviations
        from expected
        window same_period as (
            partition by expected.service, expected.account_id, expected.region, expected.hour_of_day, expected.weekend
            order by expected.bucket
            range between seasonal_baseline.baseline preceding and interval '1 microsecond' preceding
        )
    ),
    -- The residuals of each series and UTC day in time order, and the pooled spreads of each day
    -- from those of the 7 whole days before it (28 for day buckets): a series sorts one week of
    -- residuals per day rather than per hour.
    daily as (
        select
            expected.service,
            expected.account_id,
            expected.region,
            date_trunc('day', expected.bucket, 'UTC') as day,
            array_agg(
                abs(expected.cost / nullif(expected.expected, 0) - 1)
                order by expected.bucket, expected.record_id
            ) filter (where expected.expected <> 0) as deviations,
            array_agg(
                abs(expected.cost - expected.expected) / sqrt(abs(nullif(expected.expected, 0)))
                order by expected.bucket, expected.record_id
            ) filter (where expected.expected <> 0) as root_deviations
        from expected
        group by expected.service, expected.account_id, expected.region, 4
    ),
    week_residuals as (
        select
            daily.service,
            daily.account_id,
            daily.region,
            daily.day,
            sentinel.array_cat_agg(daily.deviations) over days_before as deviations,
            sentinel.array_cat_agg(daily.root_deviations) over days_before as root_deviations
        from daily
        window days_before as (
            partition by daily.service, daily.account_id, daily.region
            order by daily.day
            range between
                case when seasonal_baseline.granularity = 'day' then interval '28 days' else interval '7 days' end
                preceding
            and interval '1 microsecond' preceding
        )
    ),
    pooled as (
        select
            week_residuals.service,
            week_residuals.account_id,
            week_residuals.region,
            week_residuals.day,
            relative.mad,
            relative.mean_deviation,
            root.mad as root_mad,
            root.mean_deviation as root_mean_deviation
        from week_residuals
        cross join lateral sentinel.robust_deviation(week_residuals.deviations) as relative
        cross join lateral sentinel.robust_deviation(week_residuals.root_deviations) as root
    ),
    -- Each point takes its day's pooled spreads from a window over (series, day) that also holds
    -- that day's row of pooled, rather than from a join: a join would have to match the null
    -- columns left out of group_by, and its plan would rest on row estimates that are far off
    -- for the stale services alone.
    spreads as (
        select
            day_rows.record_id,
            day_rows.service,
            day_rows.account_id,
            day_rows.region,
            day_rows.bucket,
            day_rows.cost,
            day_rows.baseline_count,
            day_rows.expected,
            day_rows.period_deviations,
            day_rows.point,
            max(day_rows.mad) over same_day as mad,
            max(day_rows.mean_deviation) over same_day as mean_deviation,
            max(day_rows.root_mad) over same_day as root_mad,
            max(day_rows.root_mean_deviation) over same_day as root_mean_deviation
        from (
            select
                residuals.record_id,
                residuals.service,
                residuals.account_id,
                residuals.region,
                residuals.bucket,
                date_trunc('day', residuals.bucket, 'UTC') as day,
                residuals.cost,
                residuals.baseline_count,
                residuals.expected,
                residuals.period_deviations,
                true as point,
                null::double precision as mad,
                null::double precision as mean_deviation,
                null::double precision as root_mad,
                null::double precision as root_mean_deviation
            from residuals
            union all
            select
                null::bigint as record_id,
                pooled.service,
                pooled.account_id,
                pooled.region,
                null::timestamptz as bucket,
                pooled.day,
                null::double precision as cost,
                null::bigint as baseline_count,
                null::double precision as expected,
                null::double precision[] as period_deviations,
                false as point,
                pooled.mad,
                pooled.mean_deviation,
                pooled.root_mad,
                pooled.root_mean_deviation
            from pooled
        ) as day_rows
        window same_day as (partition by day_rows.service, day_rows.account_id, day_rows.region, day_rows.day)
    )
    select
        spreads.record_id,
        spreads.service,
        spreads.account_id,
        spreads.region,
        spreads.bucket,
        spreads.cost,
        spreads.baseline_count,
        spreads.expected,
        sentinel.seasonal_spread(
            spreads.expected,
            spreads.mad,
            spreads.mean_deviation,
            spreads.root_mad,
            spreads.root_mean_deviation,
            period.mad,
            period.mean_deviation
        ) as spread
    from spreads
    cross join lateral sentinel.robust_deviation(spreads.period_deviations) as period
    where spreads.point
    union all
    select
        null::bigint as record_id,
        stored.service,
        null::text as account_id,
        null::text as region,
        stored.hour as bucket,
        stored.cost::double precision as cost,
        stored.seasonal_count as baseline_count,
        stored.seasonal_expected as expected,
        stored.seasonal_spread as spread
    from sentinel.service_hourly_costs as stored
    where seasonal_baseline.granularity = 'hour'
        and seasonal_baseline.group_by = array['service']
        and seasonal_baseline.baseline = sentinel.default_window('seasonal')
        and stored.service <> all (array(select stale.service from sentinel.stale_baselines as stale))
$$;

comment on function sentinel.seasonal_baseline(text, text[], interval) is
    'Each cost point with expected = seasonal shape (median ratio of the same hour of day and kind of day in the preceding window) times level (median deseasonalized cost of the preceding day), and spread = the greatest of: |expected| * robust spread of the relative residuals of the 7 whole UTC days before the point''s day (28 for day buckets), sqrt(|expected|) * robust spread of the residuals / sqrt(|expected|) of those days, and the robust spread of the same hours'' absolute residuals in the window.';
