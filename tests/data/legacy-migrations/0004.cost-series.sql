-- Why: detectors judge spend per hour or per day, not single line items, and must answer fast over a
-- year of data. Hourly sums are kept in rollup tables that triggers maintain as records arrive
-- (one statement-level trigger per insert/update/delete, using transition tables, so a batch of
-- 100k records costs one grouped upsert), and views expose hourly and daily cost series. The
-- stored baselines are refreshed later, by readers (sentinel.refresh_baselines()), not on the
-- insert path: their medians cost ~300 us per record, 30 times the rest of an insert.
-- The detectors judge usage: fees, taxes, credits and other charge types (charge_type, added by
-- 0007, which this migration therefore follows) stay out of the rollups.
-- depends: 0003.reader-role 0007.export-dimensions

create table sentinel_data.hourly_cost (
    service text not null,
    account_id text not null,
    region text not null,
    hour timestamptz not null,
    cost numeric not null,
    record_count bigint not null,
    primary key (service, account_id, region, hour)
);

comment on table sentinel_data.hourly_cost is
    'Sum of billing_record.cost of usage (charge_type usage) per service, account, region and UTC hour; maintained by triggers.';

-- The default detector groups by service alone; a second rollup saves regrouping a year of rows
-- on every request and gives the window functions their order straight from the primary key.
create table sentinel_data.service_hourly_cost (
    service text not null,
    hour timestamptz not null,
    cost numeric not null,
    record_count bigint not null,
    -- The trailing detector's baseline at its default window (7 days before the hour, the hour
    -- itself excluded), stored so that the default query reads it instead of recomputing a
    -- year of moving statistics per request. The triggers only mark the changed hours (in
    -- baseline_dirty); sentinel.refresh_baselines() recomputes them before a read.
    baseline_count bigint not null default 0,
    baseline_mean double precision,
    baseline_stddev double precision,
    -- The seasonal detector's baseline at its defaults (window 28 days), stored the same
    -- way: without it every request sorted arrays of peers for every hour of the year (about
    -- 36 s at 50 services). The ratio and shape are stored because later hours' shape and
    -- level are medians of them.
    seasonal_ratio double precision,
    seasonal_count bigint not null default 0,
    seasonal_shape double precision,
    seasonal_expected double precision,
    seasonal_spread double precision,
    primary key (service, hour)
);

comment on table sentinel_data.service_hourly_cost is
    'Sum of billing_record.cost of usage (charge_type usage) per service and UTC hour (maintained by triggers), with its stored trailing and seasonal baselines (current once sentinel.refresh_baselines() has run for the hours in baseline_dirty).';
comment on column sentinel_data.service_hourly_cost.baseline_count is
    'Hours of the same service in the 7 days before this hour (this hour excluded).';
comment on column sentinel_data.service_hourly_cost.baseline_mean is
    'avg(cost) over those hours, computed exactly in numeric then cast; null when there are none.';
comment on column sentinel_data.service_hourly_cost.baseline_stddev is
    'stddev_pop(cost) over those hours, computed exactly in numeric then cast; null when there are none.';
comment on column sentinel_data.service_hourly_cost.seasonal_ratio is
    'cost / baseline_mean: this hour against its own trailing week; null when that mean is null or 0.';
comment on column sentinel_data.service_hourly_cost.seasonal_count is
    'Hours of the same hour of day and kind of day (weekday, weekend) in the 28 days before with a ratio.';
comment on column sentinel_data.service_hourly_cost.seasonal_shape is
    'Median seasonal_ratio of those hours; null when there are none or it is 0.';
comment on column sentinel_data.service_hourly_cost.seasonal_expected is
    'seasonal_shape times the level (median cost / seasonal_shape over the day before).';
comment on column sentinel_data.service_hourly_cost.seasonal_spread is
    'greatest(|expected| * robust spread of the last 7 days'' relative residuals, robust spread of the same hours'' absolute residuals over 28 days).';

-- Recomputes the stored baselines (trailing and seasonal) of the hours a change may have moved:
-- for each service, from the first changed hour to 64 days after the last one (the trailing
-- week moves the ratios for 7 days, they move the shapes for 28 more, the shapes the levels
-- for one more day, and the expected values the spreads for 28 more). In-order ingestion
-- touches only the new hours. One statement per call, two plans, the same numbers:
--   * every service has at most one hour to refresh (appending the newest hour, the common
--     case): each is computed from its stored peers with three aggregates read from the primary
--     key (its week, its same hours of the last 28 days, its last day);
--   * otherwise (a bulk load or a late record): one pass of window functions per service over
--     the affected range and the 28 days before it, the stored values of those earlier days
--     standing in for their own, so a batch of any size costs one pass, not one per hour.
-- The expressions are those of sentinel.seasonal_baseline (0005), which reads these columns
-- for its default call, so the stored verdicts are those of the full computation bit for bit;
-- 1.4826 * MAD, or 1.2533 * mean absolute deviation when the MAD is 0, is sentinel.robust_spread.
create function sentinel_data.refresh_baselines(
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
                and rollup.hour <= changed.last_hour + interval '64 days'
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
                extract(isodow from rollup.hour at time zone 'UTC') in (6, 7) as weekend
            from unnest(services, first_hours, last_hours) as changed (service, first_hour, last_hour)
            cross join lateral (
                select
                    newest.service,
                    newest.hour,
                    newest.cost
                from sentinel_data.service_hourly_cost as newest
                where newest.service = changed.service
                    and newest.hour >= changed.first_hour
                    and newest.hour <= changed.last_hour + interval '64 days'
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
                week.pooled_mad,
                week.pooled_mean_deviation,
                period.mad as period_mad,
                period.mean_deviation as period_mean_deviation
            from touched
            cross join lateral (
                select
                    count(*) as baseline_count,
                    avg(earlier.cost) as baseline_mean,
                    stddev_pop(earlier.cost) as baseline_stddev,
                    percentile_cont(0.5) within group (
                        order by abs(earlier.cost::double precision / nullif(earlier.seasonal_expected, 0) - 1)
                    ) filter (where earlier.seasonal_expected <> 0) as pooled_mad,
                    avg(
                        abs(earlier.cost::double precision / nullif(earlier.seasonal_expected, 0) - 1)
                        order by earlier.hour
                    ) filter (where earlier.seasonal_expected <> 0) as pooled_mean_deviation
                from sentinel_data.service_hourly_cost as earlier
                where earlier.service = touched.service
                    and earlier.hour >= touched.hour - interval '7 days'
                    and earlier.hour < touched.hour
            ) as week
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
                            from generate_series(1, 28) as days_back
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
            seasonal_spread = greatest(
                abs(computed.expected) * case
                    when computed.pooled_mad > 0 then 1.4826 * computed.pooled_mad
                    else 1.2533 * computed.pooled_mean_deviation
                end,
                case
                    when computed.period_mad > 0 then 1.4826 * computed.period_mad
                    else 1.2533 * computed.period_mean_deviation
                end
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
                and stored.hour >= changed.first_hour - interval '28 days'
                and stored.hour <= changed.last_hour + interval '64 days'
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
            range between interval '7 days' preceding and interval '1 microsecond' preceding
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
            range between interval '28 days' preceding and interval '1 microsecond' preceding
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
            array_agg(abs(expected.cost_value / nullif(expected.expected, 0) - 1))
                filter (where expected.expected <> 0) over spread_window as deviations,
            array_agg(abs(expected.cost_value - expected.expected)) over same_period as period_deviations
        from expected
        window
            spread_window as (
                partition by expected.service
                order by expected.hour
                range between interval '7 days' preceding and interval '1 microsecond' preceding
            ),
            same_period as (
                partition by expected.service, expected.hour_of_day, expected.weekend
                order by expected.hour
                range between interval '28 days' preceding and interval '1 microsecond' preceding
            )
    ),
    computed as (
        select
            residuals.service,
            residuals.hour,
            residuals.baseline_count,
            residuals.baseline_mean,
            residuals.baseline_stddev,
            residuals.ratio,
            residuals.seasonal_count,
            residuals.shape,
            residuals.expected,
            greatest(
                abs(residuals.expected) * case
                    when pooled.mad > 0 then 1.4826 * pooled.mad
                    else 1.2533 * pooled.mean_deviation
                end,
                case
                    when period.mad > 0 then 1.4826 * period.mad
                    else 1.2533 * period.mean_deviation
                end
            ) as spread
        from residuals
        cross join lateral (
            select
                percentile_cont(0.5) within group (order by deviation.value) as mad,
                avg(deviation.value) as mean_deviation
            from unnest(residuals.deviations) as deviation (value)
        ) as pooled
        cross join lateral (
            select
                percentile_cont(0.5) within group (order by deviation.value) as mad,
                avg(deviation.value) as mean_deviation
            from unnest(residuals.period_deviations) as deviation (value)
        ) as period
        where residuals.target
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

comment on function sentinel_data.refresh_baselines(text[], timestamptz[], timestamptz[]) is
    'Recomputes the trailing and seasonal baselines of service_hourly_cost for each service from first_hour to last_hour + 64 days.';

-- The hours whose stored baselines are stale: one row per service, the range of hours changed
-- since its last refresh (merged, so a stream of batches costs one upsert per statement and
-- service). sentinel_data.refresh_baselines recomputes first_hour to last_hour + 64 days.
create table sentinel_data.baseline_dirty (
    service text primary key,
    first_hour timestamptz not null,
    last_hour timestamptz not null
);

comment on table sentinel_data.baseline_dirty is
    'Per service, the first and last hour changed since its stored baselines were last refreshed; emptied by sentinel.refresh_baselines().';

-- Readers (and the detector functions, which run with the caller's rights) see what is stale.
create view sentinel.stale_baselines as
select
    service,
    first_hour,
    last_hour
from sentinel_data.baseline_dirty;

comment on view sentinel.stale_baselines is
    'Services whose stored baselines (service_hourly_costs) lag behind their costs, and the hours changed; select sentinel.refresh_baselines() brings them up to date. The detector functions compute these services in full meanwhile.';
comment on column sentinel.stale_baselines.first_hour is
    'First hour changed since the last refresh: stored baselines from here on may be stale.';
comment on column sentinel.stale_baselines.last_hour is
    'Last hour changed since the last refresh; a refresh recomputes up to 64 days after it.';

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
    perform sentinel_data.refresh_baselines(services, first_hours, last_hours);
    return cardinality(services);
end
$$;

comment on function sentinel.refresh_baselines() is
    'Brings the stored baselines of service_hourly_costs up to date (the services of sentinel.stale_baselines not being refreshed by another session) and returns how many services it refreshed. Views of stored baselines cannot write: run select sentinel.refresh_baselines(); first to make the default seasonal and trailing calls read them again.';

revoke execute on function sentinel.refresh_baselines() from public;
grant execute on function sentinel.refresh_baselines() to sentinel_reader;
grant select on sentinel.stale_baselines to sentinel_reader;

-- The ingest verdict and record-level detectors read a service's records in time order.
create index billing_record_service_timestamp_idx
    on sentinel_data.billing_record (service, "timestamp");

-- Rollup rows are upserted in key order so that concurrent batches lock them in the same order
-- and cannot deadlock each other.
create function sentinel_data.rollup_added()
returns trigger
language plpgsql
as $$
begin
    -- First, before any rollup row: a refresh holds a service's dirty row while it rewrites
    -- that service's rollup rows, so taking the rows in the same order cannot deadlock.
    insert into sentinel_data.baseline_dirty (service, first_hour, last_hour)
    select
        added.service,
        min(date_trunc('hour', added."timestamp", 'UTC')) as first_hour,
        max(date_trunc('hour', added."timestamp", 'UTC')) as last_hour
    from added_rows as added
    group by added.service
    order by 1
    on conflict (service) do update
        set first_hour = least(baseline_dirty.first_hour, excluded.first_hour),
            last_hour = greatest(baseline_dirty.last_hour, excluded.last_hour);

    insert into sentinel_data.hourly_cost (service, account_id, region, hour, cost, record_count)
    select
        added.service,
        added.account_id,
        added.region,
        date_trunc('hour', added."timestamp", 'UTC') as hour,
        sum(added.cost) as cost,
        count(*) as record_count
    from added_rows as added
    where added.charge_type = 'usage'
    group by added.service, added.account_id, added.region, date_trunc('hour', added."timestamp", 'UTC')
    order by 1, 2, 3, 4
    on conflict (service, account_id, region, hour) do update
        set cost = hourly_cost.cost + excluded.cost,
            record_count = hourly_cost.record_count + excluded.record_count;

    insert into sentinel_data.service_hourly_cost (service, hour, cost, record_count)
    select
        added.service,
        date_trunc('hour', added."timestamp", 'UTC') as hour,
        sum(added.cost) as cost,
        count(*) as record_count
    from added_rows as added
    where added.charge_type = 'usage'
    group by added.service, date_trunc('hour', added."timestamp", 'UTC')
    order by 1, 2
    on conflict (service, hour) do update
        set cost = service_hourly_cost.cost + excluded.cost,
            record_count = service_hourly_cost.record_count + excluded.record_count;

    return null;
end
$$;

create function sentinel_data.rollup_removed()
returns trigger
language plpgsql
as $$
begin
    -- First, before any rollup row: a refresh holds a service's dirty row while it rewrites
    -- that service's rollup rows, so taking the rows in the same order cannot deadlock.
    insert into sentinel_data.baseline_dirty (service, first_hour, last_hour)
    select
        gone.service,
        min(date_trunc('hour', gone."timestamp", 'UTC')) as first_hour,
        max(date_trunc('hour', gone."timestamp", 'UTC')) as last_hour
    from removed_rows as gone
    group by gone.service
    order by 1
    on conflict (service) do update
        set first_hour = least(baseline_dirty.first_hour, excluded.first_hour),
            last_hour = greatest(baseline_dirty.last_hour, excluded.last_hour);

    with removed as (
        select
            gone.service,
            gone.account_id,
            gone.region,
            date_trunc('hour', gone."timestamp", 'UTC') as hour,
            sum(gone.cost) as cost,
            count(*) as record_count
        from removed_rows as gone
        where gone.charge_type = 'usage'
        group by gone.service, gone.account_id, gone.region, date_trunc('hour', gone."timestamp", 'UTC')
    )
    update sentinel_data.hourly_cost as rollup
    set cost = rollup.cost - removed.cost,
        record_count = rollup.record_count - removed.record_count
    from removed
    where (rollup.service, rollup.account_id, rollup.region, rollup.hour)
        = (removed.service, removed.account_id, removed.region, removed.hour);

    with removed as (
        select
            gone.service,
            date_trunc('hour', gone."timestamp", 'UTC') as hour,
            sum(gone.cost) as cost,
            count(*) as record_count
        from removed_rows as gone
        where gone.charge_type = 'usage'
        group by gone.service, date_trunc('hour', gone."timestamp", 'UTC')
    )
    update sentinel_data.service_hourly_cost as rollup
    set cost = rollup.cost - removed.cost,
        record_count = rollup.record_count - removed.record_count
    from removed
    where (rollup.service, rollup.hour) = (removed.service, removed.hour);

    delete from sentinel_data.hourly_cost where record_count = 0;
    delete from sentinel_data.service_hourly_cost where record_count = 0;

    return null;
end
$$;

create function sentinel_data.rollup_truncated()
returns trigger
language plpgsql
as $$
begin
    truncate sentinel_data.hourly_cost, sentinel_data.service_hourly_cost, sentinel_data.baseline_dirty;
    return null;
end
$$;

comment on function sentinel_data.rollup_added() is
    'Statement trigger: adds the inserted records (transition table added_rows) to the hourly rollups and marks their hours in baseline_dirty.';
comment on function sentinel_data.rollup_removed() is
    'Statement trigger: subtracts deleted or replaced records (transition table removed_rows) and marks their hours in baseline_dirty.';
comment on function sentinel_data.rollup_truncated() is
    'Statement trigger: empties the rollups when billing_record is truncated.';

create trigger billing_record_rollup_insert
    after insert on sentinel_data.billing_record
    referencing new table as added_rows
    for each statement execute function sentinel_data.rollup_added();

-- An update is a removal of the old rows followed by an addition of the new ones.
create trigger billing_record_rollup_update_remove
    after update on sentinel_data.billing_record
    referencing old table as removed_rows
    for each statement execute function sentinel_data.rollup_removed();

create trigger billing_record_rollup_update_add
    after update on sentinel_data.billing_record
    referencing new table as added_rows
    for each statement execute function sentinel_data.rollup_added();

create trigger billing_record_rollup_delete
    after delete on sentinel_data.billing_record
    referencing old table as removed_rows
    for each statement execute function sentinel_data.rollup_removed();

create trigger billing_record_rollup_truncate
    after truncate on sentinel_data.billing_record
    for each statement execute function sentinel_data.rollup_truncated();

-- Records stored before this migration.
insert into sentinel_data.hourly_cost (service, account_id, region, hour, cost, record_count)
select
    service,
    account_id,
    region,
    date_trunc('hour', "timestamp", 'UTC') as hour,
    sum(cost) as cost,
    count(*) as record_count
from sentinel_data.billing_record
where charge_type = 'usage'
group by service, account_id, region, date_trunc('hour', "timestamp", 'UTC');

insert into sentinel_data.service_hourly_cost (service, hour, cost, record_count)
select
    service,
    date_trunc('hour', "timestamp", 'UTC') as hour,
    sum(cost) as cost,
    count(*) as record_count
from sentinel_data.billing_record
where charge_type = 'usage'
group by service, date_trunc('hour', "timestamp", 'UTC');

-- In a do block: a bare select would print its (empty) result at every `sentinel migrate`.
do $$
begin
    perform sentinel_data.refresh_baselines(
        array_agg(span.service), array_agg(span.first_hour), array_agg(span.last_hour)
    )
    from (
        select
            service,
            min(hour) as first_hour,
            max(hour) as last_hour
        from sentinel_data.service_hourly_cost
        group by service
    ) as span;
end
$$;

create view sentinel.hourly_costs as
select
    service,
    account_id,
    region,
    hour,
    cost,
    record_count
from sentinel_data.hourly_cost;

comment on view sentinel.hourly_costs is
    'Usage spend (charge_type usage: no fees, taxes or credits) per service, account, region and UTC hour (hours without records are absent).';
comment on column sentinel.hourly_costs.hour is 'Start of the UTC hour.';
comment on column sentinel.hourly_costs.cost is 'Exact sum of the records'' cost in that hour.';
comment on column sentinel.hourly_costs.record_count is 'How many records the hour holds.';

create view sentinel.service_hourly_costs as
select
    service,
    hour,
    cost,
    record_count,
    baseline_count,
    baseline_mean,
    baseline_stddev,
    seasonal_count,
    seasonal_expected,
    seasonal_spread
from sentinel_data.service_hourly_cost;

comment on view sentinel.service_hourly_costs is
    'Usage spend (charge_type usage) per service and UTC hour, all accounts and regions together (hours without records are absent). The baseline and seasonal columns are stored and lag behind for the services in sentinel.stale_baselines: select sentinel.refresh_baselines(); brings them up to date.';
comment on column sentinel.service_hourly_costs.hour is 'Start of the UTC hour.';
comment on column sentinel.service_hourly_costs.cost is 'Exact sum of the records'' cost in that hour.';
comment on column sentinel.service_hourly_costs.record_count is 'How many records the hour holds.';
comment on column sentinel.service_hourly_costs.baseline_count is
    'Hours of the same service in the 7 days before this hour (this hour excluded).';
comment on column sentinel.service_hourly_costs.baseline_mean is
    'Mean hourly cost over those hours: the trailing detector''s expected value at its default window.';
comment on column sentinel.service_hourly_costs.baseline_stddev is
    'Population standard deviation of the hourly cost over those hours.';
comment on column sentinel.service_hourly_costs.seasonal_count is
    'Hours of the same hour of day and kind of day (weekday, weekend) in the 28 days before, with a ratio to their own trailing week.';
comment on column sentinel.service_hourly_costs.seasonal_expected is
    'The seasonal detector''s expected value at its default window (28 days): shape of this hour times the level of the last day.';
comment on column sentinel.service_hourly_costs.seasonal_spread is
    'The seasonal detector''s spread before the floors of sentinel.verdict_spread.';

create view sentinel.daily_costs as
select
    service,
    account_id,
    region,
    date_trunc('day', hour, 'UTC') as day,
    sum(cost) as cost,
    sum(record_count)::bigint as record_count
from sentinel_data.hourly_cost
group by service, account_id, region, date_trunc('day', hour, 'UTC');

comment on view sentinel.daily_costs is
    'Usage spend (charge_type usage) per service, account, region and UTC day (days without records are absent).';
comment on column sentinel.daily_costs.day is 'Start of the UTC day.';
comment on column sentinel.daily_costs.cost is 'Exact sum of the records'' cost in that day.';
comment on column sentinel.daily_costs.record_count is 'How many records the day holds.';

create view sentinel.service_daily_costs as
select
    service,
    date_trunc('day', hour, 'UTC') as day,
    sum(cost) as cost,
    sum(record_count)::bigint as record_count
from sentinel_data.service_hourly_cost
group by service, date_trunc('day', hour, 'UTC');

comment on view sentinel.service_daily_costs is
    'Usage spend (charge_type usage) per service and UTC day, all accounts and regions together (days without records are absent).';
comment on column sentinel.service_daily_costs.day is 'Start of the UTC day.';
comment on column sentinel.service_daily_costs.cost is 'Exact sum of the records'' cost in that day.';
comment on column sentinel.service_daily_costs.record_count is 'How many records the day holds.';
