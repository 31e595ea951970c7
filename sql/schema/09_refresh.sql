-- Why: the stored baselines of the default trailing and seasonal calls (columns of
-- sentinel_data.service_hourly_cost), recomputed for the hours the triggers marked stale, so that
-- the default calls read one row per hour instead of computing a year of medians per request.

-- As in 0004, with the spread of sentinel.seasonal_baseline above (three robust spreads, two of
-- them pooled per UTC day). The expressions are those of sentinel.seasonal_baseline, which reads
-- these columns for its default call, so the stored verdicts are those of the full computation
-- bit for bit (the means in hour order, as there). The append plan pools the hour's day from its
-- stored peers of the 7 days before that day; the bulk plan computes each day once, as the full
-- computation does. The range is still first_hour to last_hour + 64 days: a cost moves the
-- expected values of the next 36 days (ratios 7, shapes 28, level 1), an expected value the
-- pooled spreads of the 7 whole days after its own (less than 8 days ahead, where the sliding
-- week reached 7) and the same-hour spreads of the next 28 days; 36 + 8 = 44 stays within
-- 36 + 28 = 64.
create function sentinel_internal.recompute_baselines(
    services text[], first_hours timestamptz[], last_hours timestamptz[]
)
returns void
language plpgsql
-- The row estimates over the unnested arrays are far off, and JIT compiling costs more than
-- the refresh of a batch.
set jit = off
as $$
declare
    most_per_service bigint;
    -- The windows of the stored default calls, and the reach of a change (01_defaults.sql).
    trailing_window interval := sentinel.default_window('trailing');
    seasonal_window interval := sentinel.default_window('seasonal');
    horizon interval := sentinel_internal.refresh_horizon();
begin
    select coalesce(max(per_service.hours), 0) into most_per_service
    from (
        select count(*) as hours
        from unnest(services, first_hours, last_hours) as changed (service, first_hour, last_hour)
        cross join lateral (
            select rollup.hour
            from sentinel_data.service_hourly_cost as rollup
            where rollup.service = changed.service
                and rollup.hour >= changed.first_hour
                and rollup.hour <= changed.last_hour + horizon
            limit 2
        ) as touched
        group by changed.service
    ) as per_service;
    if most_per_service = 0 then
        return;
    end if;
    if most_per_service = 1 then
        with touched as (
            select
                rollup.service,
                rollup.hour,
                rollup.cost::double precision as cost,
                extract(hour from rollup.hour at time zone 'UTC')::integer as hour_of_day,
                extract(isodow from rollup.hour at time zone 'UTC') in (6, 7) as weekend,
                date_trunc('day', rollup.hour, 'UTC') as day
            from unnest(services, first_hours, last_hours) as changed (service, first_hour, last_hour)
            cross join lateral (
                select
                    newest.service,
                    newest.hour,
                    newest.cost
                from sentinel_data.service_hourly_cost as newest
                where newest.service = changed.service
                    and newest.hour >= changed.first_hour
                    and newest.hour <= changed.last_hour + horizon
                -- Not flattened: a primary key range scan per service, never a scan of the table.
                offset 0
            ) as rollup
        ),
        computed as (
            select
                touched.service,
                touched.hour,
                week.baseline_count,
                week.baseline_mean,
                week.baseline_stddev,
                touched.cost / nullif(week.baseline_mean, 0)::double precision as ratio,
                coalesce(period.ratio_count, 0) as seasonal_count,
                nullif(period.shape, 0) * day.level as expected,
                nullif(period.shape, 0) as shape,
                pooled.mad as pooled_mad,
                pooled.mean_deviation as pooled_mean_deviation,
                pooled.root_mad,
                pooled.root_mean_deviation,
                period.mad as period_mad,
                period.mean_deviation as period_mean_deviation
            from touched
            cross join lateral (
                select
                    count(*) as baseline_count,
                    avg(earlier.cost) as baseline_mean,
                    stddev_pop(earlier.cost) as baseline_stddev
                from sentinel_data.service_hourly_cost as earlier
                where earlier.service = touched.service
                    and earlier.hour >= touched.hour - trailing_window
                    and earlier.hour < touched.hour
            ) as week
            -- The pooled spreads: the residuals of the 7 whole days before the hour's day.
            cross join lateral (
                select
                    percentile_cont(0.5) within group (
                        order by abs(earlier.cost::double precision / nullif(earlier.seasonal_expected, 0) - 1)
                    ) filter (where earlier.seasonal_expected <> 0) as mad,
                    avg(
                        abs(earlier.cost::double precision / nullif(earlier.seasonal_expected, 0) - 1)
                        order by earlier.hour
                    ) filter (where earlier.seasonal_expected <> 0) as mean_deviation,
                    percentile_cont(0.5) within group (
                        order by abs(earlier.cost::double precision - earlier.seasonal_expected)
                            / sqrt(abs(earlier.seasonal_expected))
                    ) filter (where earlier.seasonal_expected <> 0) as root_mad,
                    avg(
                        abs(earlier.cost::double precision - earlier.seasonal_expected)
                            / sqrt(abs(earlier.seasonal_expected))
                        order by earlier.hour
                    ) filter (where earlier.seasonal_expected <> 0) as root_mean_deviation
                from sentinel_data.service_hourly_cost as earlier
                where earlier.service = touched.service
                    and earlier.hour >= touched.day - interval '7 days'
                    and earlier.hour < touched.day
            ) as pooled
            cross join lateral (
                select
                    count(peer.seasonal_ratio) as ratio_count,
                    percentile_cont(0.5) within group (order by peer.seasonal_ratio) as shape,
                    percentile_cont(0.5) within group (
                        order by abs(peer.cost::double precision - peer.seasonal_expected)
                    ) as mad,
                    avg(abs(peer.cost::double precision - peer.seasonal_expected) order by peer.hour)
                        as mean_deviation
                from sentinel_data.service_hourly_cost as peer
                where peer.service = touched.service
                    -- The same hour of day, 1 to 28 days before; of those, the same kind of day.
                    and peer.hour = any (
                        array(
                            select touched.hour - days_back * interval '1 day'
                            from generate_series(1, extract(day from seasonal_window)::integer) as days_back
                        )
                    )
                    and extract(hour from peer.hour at time zone 'UTC')::integer = touched.hour_of_day
                    and (extract(isodow from peer.hour at time zone 'UTC') in (6, 7)) = touched.weekend
            ) as period
            cross join lateral (
                select
                    percentile_cont(0.5) within group (
                        order by recent.cost::double precision / recent.seasonal_shape
                    ) filter (where recent.seasonal_shape is not null) as level
                from sentinel_data.service_hourly_cost as recent
                where recent.service = touched.service
                    and recent.hour >= touched.hour - interval '1 day'
                    and recent.hour < touched.hour
            ) as day
        )
        update sentinel_data.service_hourly_cost as target
        set baseline_count = computed.baseline_count,
            baseline_mean = computed.baseline_mean::double precision,
            baseline_stddev = computed.baseline_stddev::double precision,
            seasonal_ratio = computed.ratio,
            seasonal_count = computed.seasonal_count,
            seasonal_shape = computed.shape,
            seasonal_expected = computed.expected,
            seasonal_spread = sentinel.seasonal_spread(
                computed.expected,
                computed.pooled_mad,
                computed.pooled_mean_deviation,
                computed.root_mad,
                computed.root_mean_deviation,
                computed.period_mad,
                computed.period_mean_deviation
            )
        from computed
        where target.service = computed.service
            and target.hour = computed.hour;
        return;
    end if;
    with span as (
        select
            rollup.service,
            rollup.hour,
            rollup.cost,
            rollup.cost::double precision as cost_value,
            rollup.hour >= changed.first_hour as target,
            changed.first_hour,
            extract(hour from rollup.hour at time zone 'UTC')::integer as hour_of_day,
            extract(isodow from rollup.hour at time zone 'UTC') in (6, 7) as weekend,
            rollup.baseline_count,
            rollup.baseline_mean,
            rollup.baseline_stddev,
            rollup.seasonal_ratio,
            rollup.seasonal_count,
            rollup.seasonal_shape,
            rollup.seasonal_expected
        from unnest(services, first_hours, last_hours) as changed (service, first_hour, last_hour)
        cross join lateral (
            select
                stored.service,
                stored.hour,
                stored.cost,
                stored.baseline_count,
                stored.baseline_mean,
                stored.baseline_stddev,
                stored.seasonal_ratio,
                stored.seasonal_count,
                stored.seasonal_shape,
                stored.seasonal_expected
            from sentinel_data.service_hourly_cost as stored
            where stored.service = changed.service
                and stored.hour >= changed.first_hour - seasonal_window
                and stored.hour <= changed.last_hour + horizon
            offset 0
        ) as rollup
    ),
    -- Stage 1: the trailing week and each hour's ratio to it (stored before the range).
    weekly as (
        select
            span.service,
            span.hour,
            span.cost_value,
            span.target,
            span.first_hour,
            span.hour_of_day,
            span.weekend,
            span.seasonal_count,
            span.seasonal_shape,
            span.seasonal_expected,
            case when span.target then count(*) over trailing_week else span.baseline_count end
                as baseline_count,
            case
                when span.target then (avg(span.cost) over trailing_week)::double precision
                else span.baseline_mean
            end as baseline_mean,
            case
                when span.target then (stddev_pop(span.cost) over trailing_week)::double precision
                else span.baseline_stddev
            end as baseline_stddev,
            case
                when span.target
                    then span.cost_value / nullif(avg(span.cost) over trailing_week, 0)::double precision
                else span.seasonal_ratio
            end as ratio
        from span
        window trailing_week as (
            partition by span.service
            order by span.hour
            range between trailing_window preceding and interval '1 microsecond' preceding
        )
    ),
    -- Stage 2: the shape, the median ratio of the same hours in the 28 days before.
    comparable as (
        select
            weekly.service,
            weekly.hour,
            weekly.cost_value,
            weekly.target,
            weekly.first_hour,
            weekly.hour_of_day,
            weekly.weekend,
            weekly.seasonal_count,
            weekly.seasonal_shape,
            weekly.seasonal_expected,
            weekly.baseline_count,
            weekly.baseline_mean,
            weekly.baseline_stddev,
            weekly.ratio,
            array_agg(weekly.ratio) filter (where weekly.ratio is not null) over same_period as ratios
        from weekly
        window same_period as (
            partition by weekly.service, weekly.hour_of_day, weekly.weekend
            order by weekly.hour
            range between seasonal_window preceding and interval '1 microsecond' preceding
        )
    ),
    shaped as (
        select
            comparable.service,
            comparable.hour,
            comparable.cost_value,
            comparable.target,
            comparable.first_hour,
            comparable.hour_of_day,
            comparable.weekend,
            comparable.seasonal_expected,
            comparable.baseline_count,
            comparable.baseline_mean,
            comparable.baseline_stddev,
            comparable.ratio,
            case
                when comparable.target then coalesce(cardinality(comparable.ratios), 0)::bigint
                else comparable.seasonal_count
            end as seasonal_count,
            case when comparable.target then nullif(shape.median, 0) else comparable.seasonal_shape end
                as shape
        from comparable
        cross join lateral (
            select percentile_cont(0.5) within group (order by ratio.value) as median
            from unnest(case when comparable.target then comparable.ratios end) as ratio (value)
        ) as shape
    ),
    -- Stage 3: the level, the median deseasonalized cost of the day before.
    leveled as (
        select
            shaped.service,
            shaped.hour,
            shaped.cost_value,
            shaped.target,
            shaped.first_hour,
            shaped.hour_of_day,
            shaped.weekend,
            shaped.seasonal_expected,
            shaped.baseline_count,
            shaped.baseline_mean,
            shaped.baseline_stddev,
            shaped.ratio,
            shaped.seasonal_count,
            shaped.shape,
            array_agg(shaped.cost_value / shaped.shape) filter (where shaped.shape is not null) over recent
                as levels
        from shaped
        where shaped.hour >= shaped.first_hour - interval '1 day'
        window recent as (
            partition by shaped.service
            order by shaped.hour
            range between interval '1 day' preceding and interval '1 microsecond' preceding
        )
    ),
    -- Stage 4: the residuals behind the spread; the expected values before the range are stored.
    expected as (
        select
            shaped.service,
            shaped.hour,
            shaped.cost_value,
            false as target,
            shaped.first_hour,
            shaped.hour_of_day,
            shaped.weekend,
            shaped.baseline_count,
            shaped.baseline_mean,
            shaped.baseline_stddev,
            shaped.ratio,
            shaped.seasonal_count,
            shaped.shape,
            shaped.seasonal_expected as expected
        from shaped
        where not shaped.target
        union all
        select
            leveled.service,
            leveled.hour,
            leveled.cost_value,
            true as target,
            leveled.first_hour,
            leveled.hour_of_day,
            leveled.weekend,
            leveled.baseline_count,
            leveled.baseline_mean,
            leveled.baseline_stddev,
            leveled.ratio,
            leveled.seasonal_count,
            leveled.shape,
            leveled.shape * level.median as expected
        from leveled
        cross join lateral (
            select percentile_cont(0.5) within group (order by recent.value) as median
            from unnest(leveled.levels) as recent (value)
        ) as level
        where leveled.target
    ),
    residuals as (
        select
            expected.service,
            expected.hour,
            expected.target,
            expected.baseline_count,
            expected.baseline_mean,
            expected.baseline_stddev,
            expected.ratio,
            expected.seasonal_count,
            expected.shape,
            expected.expected,
            array_agg(abs(expected.cost_value - expected.expected)) over same_period as period_deviations
        from expected
        window same_period as (
            partition by expected.service, expected.hour_of_day, expected.weekend
            order by expected.hour
            range between seasonal_window preceding and interval '1 microsecond' preceding
        )
    ),
    -- The residuals of each day in hour order (those of the days before the range are stored),
    -- and the pooled spreads of each day from those of the 7 days before it.
    daily as (
        select
            expected.service,
            date_trunc('day', expected.hour, 'UTC') as day,
            array_agg(abs(expected.cost_value / nullif(expected.expected, 0) - 1) order by expected.hour)
                filter (where expected.expected <> 0) as deviations,
            array_agg(
                abs(expected.cost_value - expected.expected) / sqrt(abs(nullif(expected.expected, 0)))
                order by expected.hour
            ) filter (where expected.expected <> 0) as root_deviations
        from expected
        where expected.hour >= date_trunc('day', expected.first_hour, 'UTC') - interval '7 days'
        group by expected.service, 2
    ),
    week_residuals as (
        select
            daily.service,
            daily.day,
            sentinel.array_cat_agg(daily.deviations) over days_before as deviations,
            sentinel.array_cat_agg(daily.root_deviations) over days_before as root_deviations
        from daily
        window days_before as (
            partition by daily.service
            order by daily.day
            range between interval '7 days' preceding and interval '1 microsecond' preceding
        )
    ),
    pooled as (
        select
            week_residuals.service,
            week_residuals.day,
            relative.mad,
            relative.mean_deviation,
            root.mad as root_mad,
            root.mean_deviation as root_mean_deviation
        from week_residuals
        cross join lateral sentinel.robust_deviation(week_residuals.deviations) as relative
        cross join lateral sentinel.robust_deviation(week_residuals.root_deviations) as root
    ),
    -- Each hour takes its day's pooled spreads from a window over (service, day) that also holds
    -- that day's row of pooled, rather than from a join: the row estimates here are far off, and
    -- the planner merged on the service alone, testing every day against every hour.
    spreads as (
        select
            day_rows.service,
            day_rows.hour,
            day_rows.baseline_count,
            day_rows.baseline_mean,
            day_rows.baseline_stddev,
            day_rows.ratio,
            day_rows.seasonal_count,
            day_rows.shape,
            day_rows.expected,
            day_rows.period_deviations,
            max(day_rows.mad) over same_day as mad,
            max(day_rows.mean_deviation) over same_day as mean_deviation,
            max(day_rows.root_mad) over same_day as root_mad,
            max(day_rows.root_mean_deviation) over same_day as root_mean_deviation
        from (
            select
                residuals.service,
                residuals.hour,
                date_trunc('day', residuals.hour, 'UTC') as day,
                residuals.baseline_count,
                residuals.baseline_mean,
                residuals.baseline_stddev,
                residuals.ratio,
                residuals.seasonal_count,
                residuals.shape,
                residuals.expected,
                residuals.period_deviations,
                null::double precision as mad,
                null::double precision as mean_deviation,
                null::double precision as root_mad,
                null::double precision as root_mean_deviation
            from residuals
            where residuals.target
            union all
            select
                pooled.service,
                null::timestamptz as hour,
                pooled.day,
                null::bigint as baseline_count,
                null::double precision as baseline_mean,
                null::double precision as baseline_stddev,
                null::double precision as ratio,
                null::bigint as seasonal_count,
                null::double precision as shape,
                null::double precision as expected,
                null::double precision[] as period_deviations,
                pooled.mad,
                pooled.mean_deviation,
                pooled.root_mad,
                pooled.root_mean_deviation
            from pooled
        ) as day_rows
        window same_day as (partition by day_rows.service, day_rows.day)
    ),
    computed as (
        select
            spreads.service,
            spreads.hour,
            spreads.baseline_count,
            spreads.baseline_mean,
            spreads.baseline_stddev,
            spreads.ratio,
            spreads.seasonal_count,
            spreads.shape,
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
        where spreads.hour is not null
    )
    update sentinel_data.service_hourly_cost as target
    set baseline_count = computed.baseline_count,
        baseline_mean = computed.baseline_mean,
        baseline_stddev = computed.baseline_stddev,
        seasonal_ratio = computed.ratio,
        seasonal_count = computed.seasonal_count,
        seasonal_shape = computed.shape,
        seasonal_expected = computed.expected,
        seasonal_spread = computed.spread
    from computed
    where target.service = computed.service
        and target.hour = computed.hour;
end
$$;

comment on function sentinel_internal.recompute_baselines(text[], timestamptz[], timestamptz[]) is
    'Recomputes the trailing and seasonal baselines of service_hourly_cost for each service from first_hour to last_hour + 64 days (seasonal spread as in 0011: pooled per UTC day over the 7 days before).';


-- Security definer: a read-only role (sentinel_reader) may bring the stored baselines up to date
-- but may write nothing else. Rows another transaction holds (a writer that has just marked
-- them, or a concurrent refresh) are skipped rather than waited for: nothing is refreshed twice,
-- no reader waits for an ingest to commit, and what stays in baseline_dirty is computed in full
-- by the detector functions, so verdicts never depend on who refreshed what.
create function sentinel.refresh_baselines()
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    services text[];
    first_hours timestamptz[];
    last_hours timestamptz[];
begin
    with taken as (
        delete from sentinel_data.baseline_dirty as dirty
        where dirty.service in (
            select pending.service
            from sentinel_data.baseline_dirty as pending
            order by pending.service
            for update skip locked
        )
        returning dirty.service, dirty.first_hour, dirty.last_hour
    )
    select array_agg(taken.service), array_agg(taken.first_hour), array_agg(taken.last_hour)
    into services, first_hours, last_hours
    from taken;
    if services is null then
        return 0;
    end if;
    perform sentinel_internal.recompute_baselines(services, first_hours, last_hours);
    return cardinality(services);
end
$$;

comment on function sentinel.refresh_baselines() is
    'Brings the stored baselines of service_hourly_costs up to date (the services of sentinel.stale_baselines not being refreshed by another session) and returns how many services it refreshed. Views of stored baselines cannot write: run select sentinel.refresh_baselines(); first to make the default seasonal and trailing calls read them again.';

