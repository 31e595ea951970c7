-- Why: the seasonal detector (method=seasonal), the recommended one: it catches surges at quiet
-- hours in their first hour, alerts once on a lasting level shift and not on the end of a surge
-- (bench/RESULTS.md).

-- method=seasonal: the expected value is a seasonal shape times the current level.
--   shape: the median, over the comparable periods of the preceding window (same hour of day on
--     the same kind of day, weekday or weekend; for day buckets the same kind of day), of each
--     peer's ratio to the mean of the 7 days before that peer, so growth and earlier level
--     shifts do not bias it and a past spike at 14:00 does not mask the next one;
--   level: of two levels, the one that puts the expected value nearer the cost when the first
--     exceeds the second by more than a quarter (sentinel_internal.seasonal_level): the day level,
--     the median of cost / shape over the preceding day (week, for day buckets), so the
--     baseline follows a lasting change after half that span (a level shift alerts once, at its
--     onset) while spikes and surges shorter than that do not move it; and the usual level, the
--     median of the day levels of the same hour on the 7 days before, so that the return to
--     the usual shape after a surge (while the day level still holds the surge) is no anomaly
--     in either direction;
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
-- in full instead (sentinel.seasonal_baseline, at the end of this file).

-- Stage 1, the shape: each point's ratio to its trailing mean (the trailing detector's window),
-- and the median ratio of the comparable periods before it (same hour of day on the same kind
-- of day; for day buckets the same kind of day) within the window.
create function sentinel_internal.seasonal_shapes(
    granularity text,
    group_by text[],
    baseline interval,
    only_stale boolean,
    services text[],
    first_hours timestamptz[],
    last_hours timestamptz[],
    tags jsonb default null
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
    hour_of_day integer,
    weekend boolean,
    trailing_count bigint,
    trailing_mean double precision,
    trailing_stddev double precision,
    ratio double precision,
    seasonal_count bigint,
    shape double precision,
    stored_expected double precision
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
            point.cost,
            point.target,
            point.first_hour,
            case
                when seasonal_shapes.granularity = 'day' then -1
                else extract(hour from point.bucket at time zone 'UTC')::integer
            end as hour_of_day,
            extract(isodow from point.bucket at time zone 'UTC') in (6, 7) as weekend,
            point.baseline_count as trailing_count,
            point.expected as trailing_mean,
            point.spread as trailing_stddev,
            case
                when point.target then point.cost / nullif(point.expected, 0)
                else point.stored_ratio
            end as ratio,
            point.stored_count,
            point.stored_shape,
            point.stored_expected
        from sentinel_internal.trailing_points(
            seasonal_shapes.granularity,
            seasonal_shapes.group_by,
            sentinel.default_window('trailing'),
            seasonal_shapes.baseline,
            seasonal_shapes.only_stale,
            seasonal_shapes.services,
            seasonal_shapes.first_hours,
            seasonal_shapes.last_hours,
            seasonal_shapes.tags
        ) as point
    ),
    comparable as (
        select
            points.record_id,
            points.service,
            points.account_id,
            points.region,
            points.bucket,
            points.cost,
            points.target,
            points.first_hour,
            points.hour_of_day,
            points.weekend,
            points.trailing_count,
            points.trailing_mean,
            points.trailing_stddev,
            points.ratio,
            points.stored_count,
            points.stored_shape,
            points.stored_expected,
            array_agg(points.ratio) filter (where points.ratio is not null) over same_period as ratios
        from points
        window same_period as (
            partition by points.service, points.account_id, points.region, points.hour_of_day, points.weekend
            order by points.bucket
            range between seasonal_shapes.baseline preceding and interval '1 microsecond' preceding
        )
    )
    select
        comparable.record_id,
        comparable.service,
        comparable.account_id,
        comparable.region,
        comparable.bucket,
        comparable.cost,
        comparable.target,
        comparable.first_hour,
        comparable.hour_of_day,
        comparable.weekend,
        comparable.trailing_count,
        comparable.trailing_mean,
        comparable.trailing_stddev,
        comparable.ratio,
        case
            when comparable.target then coalesce(cardinality(comparable.ratios), 0)::bigint
            else comparable.stored_count
        end as seasonal_count,
        case when comparable.target then nullif(shape.median, 0) else comparable.stored_shape end
            as shape,
        comparable.stored_expected
    from comparable
    cross join lateral (
        select percentile_cont(0.5) within group (order by ratio.value) as median
        from unnest(case when comparable.target then comparable.ratios end) as ratio (value)
    ) as shape
$$;

comment on function sentinel_internal.seasonal_shapes(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb) is
    'Seasonal stage 1: each point''s ratio to its trailing mean and its shape (median ratio of the comparable periods in the window).';

-- The level a point is judged against (stage 2 and the append plan of 09_refresh.sql): the
-- usual level when the day level exceeds it by more than a quarter of it (a recent surge the
-- day level still holds) and it puts the expected value nearer the cost; else the day level.
-- The gap keeps every point of ordinary days on the day level, as before: choosing the nearer
-- of two close levels would shrink the residuals, hence the spreads, and flag noise (2 false
-- buckets on spikes, 3 on shifts in the generated evaluation). Only above: after a drop the
-- recovery is still judged against the day level, as before, since on NAB the recoveries from
-- labelled drops (machine_temperature, nyc_taxi) are what finds them with direction up (a
-- symmetric rule cost F1 0.26 -> 0.20 there). Null without a day level; a missing usual level
-- keeps the day level.
create function sentinel_internal.seasonal_level(
    cost double precision,
    shape double precision,
    day_level double precision,
    usual_level double precision
)
returns double precision
language sql
immutable
as $$
    select case
        when seasonal_level.day_level - seasonal_level.usual_level
                > 0.25 * abs(seasonal_level.usual_level)
            and abs(seasonal_level.cost - seasonal_level.shape * seasonal_level.usual_level)
                < abs(seasonal_level.cost - seasonal_level.shape * seasonal_level.day_level)
        then seasonal_level.usual_level
        else seasonal_level.day_level
    end
$$;

comment on function sentinel_internal.seasonal_level(double precision, double precision, double precision, double precision) is
    'The seasonal level of a point: the usual level when the day level exceeds it by more than a quarter and it explains the cost better, else the day level.';

-- Stage 2, the level and the expected value. Two levels, each the median of earlier points only:
--   * the day level: the median of cost / shape over the preceding day (week, for day buckets),
--     so the baseline follows a lasting change after half that span while shorter spikes and
--     surges do not move it;
--   * the usual level: the median of the day levels of the same hour (for day buckets, of each
--     day) on the days of the preceding usual_level_span (7 days), which a surge of up to a day
--     moves on one or two of the seven, and a lasting change only after about four days.
-- The expected value is the shape times the day level, or, when the day level is well above the
-- usual one (a recent surge) and the usual one lies nearer the cost, times the usual level
-- (sentinel_internal.seasonal_level): a point is judged against the better of two causal
-- baselines. When the day level still holds a surge that has just ended, the return to the
-- usual shape is explained by the usual level, so the end of a surge is flagged in neither
-- direction (with the day level alone it read as a drop for half a day) and the reported
-- expected value is the usual one again at once. At the onset
-- of a spike, surge or lasting shift the two levels agree (no recent excursion), so all three
-- are flagged in their first bucket as before, and a lasting shift stops alerting once the day
-- level has followed, as before. The price: in the days after a lasting rise, a return to the
-- old level is not flagged either.
create function sentinel_internal.seasonal_levels(
    granularity text,
    group_by text[],
    baseline interval,
    only_stale boolean,
    services text[],
    first_hours timestamptz[],
    last_hours timestamptz[],
    tags jsonb default null
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
    hour_of_day integer,
    weekend boolean,
    trailing_count bigint,
    trailing_mean double precision,
    trailing_stddev double precision,
    ratio double precision,
    seasonal_count bigint,
    shape double precision,
    expected double precision
)
language sql
stable
as $$
    with leveled as (
        select
            shaped.record_id,
            shaped.service,
            shaped.account_id,
            shaped.region,
            shaped.bucket,
            shaped.cost,
            shaped.target,
            shaped.first_hour,
            shaped.hour_of_day,
            shaped.weekend,
            shaped.trailing_count,
            shaped.trailing_mean,
            shaped.trailing_stddev,
            shaped.ratio,
            shaped.seasonal_count,
            shaped.shape,
            shaped.stored_expected,
            array_agg(shaped.cost / shaped.shape) filter (where shaped.shape is not null) over recent as levels
        from sentinel_internal.seasonal_shapes(
        seasonal_levels.granularity,
        seasonal_levels.group_by,
        seasonal_levels.baseline,
        seasonal_levels.only_stale,
        seasonal_levels.services,
        seasonal_levels.first_hours,
        seasonal_levels.last_hours,
        seasonal_levels.tags
    ) as shaped
        window recent as (
            partition by shaped.service, shaped.account_id, shaped.region
            order by shaped.bucket
            range between
                case when seasonal_levels.granularity = 'day' then interval '7 days' else interval '1 day' end
                preceding
            and interval '1 microsecond' preceding
        )
    ),
    -- The day level of the targets and of the earlier points whose day levels the targets'
    -- usual levels read (those of the usual_level_span before a span's first hour).
    day_leveled as (
        select
            leveled.record_id,
            leveled.service,
            leveled.account_id,
            leveled.region,
            leveled.bucket,
            leveled.cost,
            leveled.target,
            leveled.first_hour,
            leveled.hour_of_day,
            leveled.weekend,
            leveled.trailing_count,
            leveled.trailing_mean,
            leveled.trailing_stddev,
            leveled.ratio,
            leveled.seasonal_count,
            leveled.shape,
            leveled.stored_expected,
            day.median as day_level
        from leveled
        cross join lateral (
            select percentile_cont(0.5) within group (order by recent.value) as median
            from unnest(
                case
                    when leveled.target
                        or leveled.bucket >= leveled.first_hour - sentinel_internal.usual_level_span()
                    then leveled.levels
                end
            ) as recent (value)
        ) as day
    ),
    usual as (
        select
            day_leveled.record_id,
            day_leveled.service,
            day_leveled.account_id,
            day_leveled.region,
            day_leveled.bucket,
            day_leveled.cost,
            day_leveled.target,
            day_leveled.first_hour,
            day_leveled.hour_of_day,
            day_leveled.weekend,
            day_leveled.trailing_count,
            day_leveled.trailing_mean,
            day_leveled.trailing_stddev,
            day_leveled.ratio,
            day_leveled.seasonal_count,
            day_leveled.shape,
            day_leveled.stored_expected,
            day_leveled.day_level,
            array_agg(day_leveled.day_level) filter (where day_leveled.day_level is not null)
                over same_hour as day_levels
        from day_leveled
        window same_hour as (
            partition by day_leveled.service, day_leveled.account_id, day_leveled.region, day_leveled.hour_of_day
            order by day_leveled.bucket
            range between sentinel_internal.usual_level_span() preceding and interval '1 microsecond' preceding
        )
    )
    select
        usual.record_id,
        usual.service,
        usual.account_id,
        usual.region,
        usual.bucket,
        usual.cost,
        usual.target,
        usual.first_hour,
        usual.hour_of_day,
        usual.weekend,
        usual.trailing_count,
        usual.trailing_mean,
        usual.trailing_stddev,
        usual.ratio,
        usual.seasonal_count,
        usual.shape,
        case
            when usual.target
            then usual.shape
                * sentinel_internal.seasonal_level(usual.cost, usual.shape, usual.day_level, usual_level.median)
            else usual.stored_expected
        end as expected
    from usual
    cross join lateral (
        select percentile_cont(0.5) within group (order by same_hour.value) as median
        from unnest(case when usual.target then usual.day_levels end) as same_hour (value)
    ) as usual_level
$$;

comment on function sentinel_internal.seasonal_levels(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb) is
    'Seasonal stage 2: expected = shape times the level nearer the cost of two when the first exceeds the second by more than a quarter (else the day level): the day level (median deseasonalized cost of the preceding day) and the usual level (median of the day levels of the same hour on the 7 days before).';

-- Stage 3, the residuals: each target with the absolute residuals of the same hours in the
-- window, and one row per series and UTC day with the robust spreads pooled from the residuals
-- of the days before it (computed once per day from the days' arrays rather than once per
-- point). One row set rather than two functions, so that the expected values are computed once.
create function sentinel_internal.seasonal_days(
    granularity text,
    group_by text[],
    baseline interval,
    only_stale boolean,
    services text[],
    first_hours timestamptz[],
    last_hours timestamptz[],
    tags jsonb default null
)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    day timestamptz,
    cost double precision,
    seasonal_count bigint,
    expected double precision,
    period_deviations double precision[],
    trailing_count bigint,
    trailing_mean double precision,
    trailing_stddev double precision,
    ratio double precision,
    shape double precision,
    mad double precision,
    mean_deviation double precision,
    root_mad double precision,
    root_mean_deviation double precision
)
language sql
stable
as $$
    -- Named once, as the residuals, since the days below read them too: the expected values are
    -- computed once.
    with residuals as (
        select
            leveled.record_id,
            leveled.service,
            leveled.account_id,
            leveled.region,
            leveled.bucket,
            leveled.cost,
            leveled.seasonal_count,
            leveled.expected,
            leveled.target,
            leveled.first_hour,
            leveled.trailing_count,
            leveled.trailing_mean,
            leveled.trailing_stddev,
            leveled.ratio,
            leveled.shape,
            array_agg(abs(leveled.cost - leveled.expected)) over same_period as period_deviations
        from sentinel_internal.seasonal_levels(
            seasonal_days.granularity,
            seasonal_days.group_by,
            seasonal_days.baseline,
            seasonal_days.only_stale,
            seasonal_days.services,
            seasonal_days.first_hours,
            seasonal_days.last_hours,
            seasonal_days.tags
        ) as leveled
        window same_period as (
            partition by leveled.service, leveled.account_id, leveled.region, leveled.hour_of_day, leveled.weekend
            order by leveled.bucket
            range between seasonal_days.baseline preceding and interval '1 microsecond' preceding
        )
    ),
    -- The residuals of each series and UTC day in time order, concatenated over the 7 whole days
    -- before it (28 for day buckets): a series sorts one week of residuals per day rather than
    -- per hour. A span reads only the days its targets pool.
    week_residuals as (
        select
            residuals.service,
            residuals.account_id,
            residuals.region,
            date_trunc('day', residuals.bucket, 'UTC') as day,
            sentinel.array_cat_agg(
                array_agg(
                    abs(residuals.cost / nullif(residuals.expected, 0) - 1)
                    order by residuals.bucket, residuals.record_id
                ) filter (where residuals.expected <> 0)
            ) over days_before as deviations,
            sentinel.array_cat_agg(
                array_agg(
                    abs(residuals.cost - residuals.expected) / sqrt(abs(nullif(residuals.expected, 0)))
                    order by residuals.bucket, residuals.record_id
                ) filter (where residuals.expected <> 0)
            ) over days_before as root_deviations
        from residuals
        where residuals.bucket >= date_trunc('day', residuals.first_hour, 'UTC')
            - case when seasonal_days.granularity = 'day' then interval '28 days' else interval '7 days' end
        group by residuals.service, residuals.account_id, residuals.region, 4
        window days_before as (
            partition by residuals.service, residuals.account_id, residuals.region
            order by date_trunc('day', residuals.bucket, 'UTC')
            range between
                case when seasonal_days.granularity = 'day' then interval '28 days' else interval '7 days' end
                preceding
            and interval '1 microsecond' preceding
        )
    )
    select
        residuals.record_id,
        residuals.service,
        residuals.account_id,
        residuals.region,
        residuals.bucket,
        date_trunc('day', residuals.bucket, 'UTC') as day,
        residuals.cost,
        residuals.seasonal_count,
        residuals.expected,
        residuals.period_deviations,
        residuals.trailing_count,
        residuals.trailing_mean,
        residuals.trailing_stddev,
        residuals.ratio,
        residuals.shape,
        null::double precision as mad,
        null::double precision as mean_deviation,
        null::double precision as root_mad,
        null::double precision as root_mean_deviation
    from residuals
    where residuals.target
    union all
    select
        null::bigint as record_id,
        week_residuals.service,
        week_residuals.account_id,
        week_residuals.region,
        null::timestamptz as bucket,
        week_residuals.day,
        null::double precision as cost,
        null::bigint as seasonal_count,
        null::double precision as expected,
        null::double precision[] as period_deviations,
        null::bigint as trailing_count,
        null::double precision as trailing_mean,
        null::double precision as trailing_stddev,
        null::double precision as ratio,
        null::double precision as shape,
        relative.mad,
        relative.mean_deviation,
        root.mad as root_mad,
        root.mean_deviation as root_mean_deviation
    from week_residuals
    cross join lateral sentinel.robust_deviation(week_residuals.deviations) as relative
    cross join lateral sentinel.robust_deviation(week_residuals.root_deviations) as root
$$;

comment on function sentinel_internal.seasonal_days(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb) is
    'Seasonal stage 3: the targets with their same-period residuals, and per series and UTC day the pooled spreads of the days before it.';

-- Stage 4, the spread: the greatest of three robust spreads (sentinel.seasonal_spread), two of
-- them the pooled spreads of the point's day, one from the same hours in the window. Each point
-- takes its day's pooled spreads from a window over (series, day) that also holds that day's
-- row, rather than from a join: a join would have to match the null columns left out of
-- group_by, and its plan would rest on row estimates that are far off. Returns the targets.
create function sentinel_internal.seasonal_points(
    granularity text,
    group_by text[],
    baseline interval,
    only_stale boolean,
    services text[],
    first_hours timestamptz[],
    last_hours timestamptz[],
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
    -- For the stored baselines (09_refresh.sql): the stages' other results.
    ratio double precision,
    shape double precision,
    trailing_count bigint,
    trailing_mean double precision,
    trailing_stddev double precision
)
language sql
stable
as $$
    with spreads as (
        select
            day_rows.record_id,
            day_rows.service,
            day_rows.account_id,
            day_rows.region,
            day_rows.bucket,
            day_rows.cost,
            day_rows.seasonal_count,
            day_rows.expected,
            day_rows.period_deviations,
            day_rows.trailing_count,
            day_rows.trailing_mean,
            day_rows.trailing_stddev,
            day_rows.ratio,
            day_rows.shape,
            max(day_rows.mad) over same_day as mad,
            max(day_rows.mean_deviation) over same_day as mean_deviation,
            max(day_rows.root_mad) over same_day as root_mad,
            max(day_rows.root_mean_deviation) over same_day as root_mean_deviation
        from sentinel_internal.seasonal_days(
            seasonal_points.granularity,
            seasonal_points.group_by,
            seasonal_points.baseline,
            seasonal_points.only_stale,
            seasonal_points.services,
            seasonal_points.first_hours,
            seasonal_points.last_hours,
            seasonal_points.tags
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
        spreads.seasonal_count as baseline_count,
        spreads.expected,
        sentinel.seasonal_spread(
            spreads.expected,
            spreads.mad,
            spreads.mean_deviation,
            spreads.root_mad,
            spreads.root_mean_deviation,
            period.mad,
            period.mean_deviation
        ) as spread,
        spreads.ratio,
        spreads.shape,
        spreads.trailing_count,
        spreads.trailing_mean,
        spreads.trailing_stddev
    from spreads
    cross join lateral sentinel.robust_deviation(spreads.period_deviations) as period
    -- The targets: the row of a series and day has no bucket.
    where spreads.bucket is not null
$$;

comment on function sentinel_internal.seasonal_points(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb) is
    'Seasonal stage 4: the targets of the scope with expected value and spread (and ratio, shape and trailing statistics for the stored baselines).';

-- method=seasonal. Hour buckets per service at the default window come from the stored
-- baselines (09_refresh.sql), so the recommended call reads one row per hour instead of sorting
-- arrays of peers for every hour of the year; services whose stored baselines are stale
-- (sentinel.stale_baselines) are computed in full instead, as in sentinel.trailing_baseline.
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
    spread double precision,
    -- The series' mean daily spend over the trailing window (7 days), for materiality.
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
        sentinel.daily_spend(computed.trailing_mean, computed.trailing_count, sentinel.default_window('trailing'))
            as daily_spend
    from sentinel_internal.seasonal_points(
        seasonal_baseline.granularity,
        seasonal_baseline.group_by,
        seasonal_baseline.baseline,
        -- The default call: only the stale services are computed here.
        seasonal_baseline.granularity = 'hour'
            and seasonal_baseline.group_by = array['service']
            and seasonal_baseline.baseline = sentinel.default_window('seasonal'),
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
        stored.seasonal_count as baseline_count,
        stored.seasonal_expected as expected,
        stored.seasonal_spread as spread,
        sentinel.daily_spend(stored.baseline_mean, stored.baseline_count, sentinel.default_window('trailing'))
            as daily_spend
    from sentinel.service_hourly_costs as stored
    where seasonal_baseline.granularity = 'hour'
        and seasonal_baseline.group_by = array['service']
        and seasonal_baseline.baseline = sentinel.default_window('seasonal')
        and stored.service <> all (array(select stale.service from sentinel.stale_baselines as stale))
$$;

comment on function sentinel.seasonal_baseline(text, text[], interval) is
    'Each cost point with expected = seasonal shape (median ratio of the same hour of day and kind of day in the preceding window) times level (of the day level, the median deseasonalized cost of the preceding day, and the usual level, the median day level of the same hour on the 7 days before, the one nearer the cost when the day level exceeds the usual one by more than a quarter), and spread = the greatest of: |expected| * robust spread of the relative residuals of the 7 whole UTC days before the point''s day (28 for day buckets), sqrt(|expected|) * robust spread of the residuals / sqrt(|expected|) of those days, and the robust spread of the same hours'' absolute residuals in the window; daily_spend is the series'' mean daily spend over the trailing 7 days.';
