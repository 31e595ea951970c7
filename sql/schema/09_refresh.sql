-- Why: the stored baselines of the default trailing and seasonal calls (columns of
-- sentinel_data.service_hourly_cost), recomputed for the hours the triggers marked stale, so that
-- the default calls read one row per hour instead of computing a year of medians per request.
--
-- The triggers mark, per service, the first and last hour a change touched
-- (sentinel_data.baseline_dirty); a change moves stored baselines up to
-- sentinel_internal.refresh_horizon() after the last one (71 days at the defaults). In-order
-- ingestion touches only the new hours. Two plans, the same numbers:
--   * every service has at most one hour to recompute (appending the newest hour, the common
--     case): recompute_appended_hours, three aggregates per hour read from the primary key;
--   * otherwise (a bulk load, a late record, a rebuild of the code): recompute_spans, the
--     stages of the full computation (sentinel_internal.seasonal_points, trailing_points) over
--     each span and the seasonal window before it, whose stored values stand in for their own.

-- The seasonal day level of a stored hour (sentinel_internal.seasonal_levels' day level): the
-- median of cost / shape over the stored hours of the day before it. The append plan reads it
-- for the hour it recomputes and for the same hour of each day of the usual span.
create function sentinel_internal.stored_day_level(service text, hour timestamptz)
returns double precision
language sql
stable
as $$
    select
        percentile_cont(0.5) within group (
            order by recent.cost::double precision / recent.seasonal_shape
        ) filter (where recent.seasonal_shape is not null)
    from sentinel_data.service_hourly_cost as recent
    where recent.service = stored_day_level.service
        and recent.hour >= stored_day_level.hour - interval '1 day'
        and recent.hour < stored_day_level.hour
$$;

comment on function sentinel_internal.stored_day_level(text, timestamptz) is
    'The seasonal day level of a stored hour: median cost / shape of the stored hours of the day before it.';

-- The append plan: each hour from its stored peers (its trailing week, its same hours of the
-- seasonal window, the pooled days before its day, its last day, and the day before each of its
-- same hours in the usual span), with the expressions of the stages, so that the result is
-- theirs bit for bit (tests compare the two plans).
create function sentinel_internal.recompute_appended_hours(
    services text[], first_hours timestamptz[], last_hours timestamptz[]
)
returns void
language plpgsql
set jit = off
as $$
declare
    trailing_window interval := sentinel.default_window('trailing');
    seasonal_window interval := sentinel.default_window('seasonal');
    horizon interval := sentinel_internal.refresh_horizon();
    usual_span interval := sentinel_internal.usual_level_span();
begin
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
            -- The level of sentinel_internal.seasonal_level, as in stage 2 (seasonal_levels).
            nullif(period.shape, 0)
                * sentinel_internal.seasonal_level(touched.cost, nullif(period.shape, 0), day.level, usual.level)
                as expected,
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
            select sentinel_internal.stored_day_level(touched.service, touched.hour) as level
        ) as day
        -- The usual level: the median of the day levels of the same hour in the usual span.
        cross join lateral (
            select percentile_cont(0.5) within group (order by same_hour.level) as level
            from sentinel_data.service_hourly_cost as peer
            cross join lateral (
                select sentinel_internal.stored_day_level(peer.service, peer.hour) as level
            ) as same_hour
            where peer.service = touched.service
                and peer.hour >= touched.hour - usual_span
                and peer.hour < touched.hour
                and extract(hour from peer.hour at time zone 'UTC')::integer = touched.hour_of_day
        ) as usual
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
end
$$;

comment on function sentinel_internal.recompute_appended_hours(text[], timestamptz[], timestamptz[]) is
    'Recomputes the stored baselines of one hour per service from its stored peers (the append plan of sentinel_internal.recompute_baselines).';

-- The bulk plan: one pass of the full computation's stages per service over its span.
create function sentinel_internal.recompute_spans(
    services text[], first_hours timestamptz[], last_hours timestamptz[]
)
returns void
language plpgsql
set jit = off
as $$
declare
    span_ends timestamptz[] := array(
        select last_hour + sentinel_internal.refresh_horizon()
        from unnest(recompute_spans.last_hours) with ordinality as changed (last_hour, position)
        order by changed.position
    );
begin
    update sentinel_data.service_hourly_cost as target
    set baseline_count = computed.trailing_count,
        baseline_mean = computed.trailing_mean,
        baseline_stddev = computed.trailing_stddev,
        seasonal_ratio = computed.ratio,
        seasonal_count = computed.baseline_count,
        seasonal_shape = computed.shape,
        seasonal_expected = computed.expected,
        seasonal_spread = computed.spread
    from sentinel_internal.seasonal_points(
        'hour',
        array['service'],
        sentinel.default_window('seasonal'),
        false,
        recompute_spans.services,
        recompute_spans.first_hours,
        span_ends
    ) as computed
    where target.service = computed.service
        and target.hour = computed.bucket;
end
$$;

comment on function sentinel_internal.recompute_spans(text[], timestamptz[], timestamptz[]) is
    'Recomputes the stored baselines of each service from first_hour to last_hour + refresh_horizon() with the stages of the full computation (the bulk plan of sentinel_internal.recompute_baselines).';

-- Picks the plan: the row estimates over the unnested arrays are far off, so the choice is
-- made here, by counting (at most two) hours to recompute per service.
create function sentinel_internal.recompute_baselines(
    services text[], first_hours timestamptz[], last_hours timestamptz[]
)
returns void
language plpgsql
-- JIT compiling costs more than the refresh of a batch.
set jit = off
as $$
declare
    most_per_service bigint;
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
        perform sentinel_internal.recompute_appended_hours(services, first_hours, last_hours);
    else
        perform sentinel_internal.recompute_spans(services, first_hours, last_hours);
    end if;
end
$$;

comment on function sentinel_internal.recompute_baselines(text[], timestamptz[], timestamptz[]) is
    'Recomputes the stored trailing and seasonal baselines of service_hourly_cost for each service from first_hour to last_hour + sentinel_internal.refresh_horizon().';

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


