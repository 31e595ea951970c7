-- Why: detectors judge spend per hour or day, and the original rule needs each service's sums;
-- both are kept by statement-level triggers (transition tables, so a batch of 100k records
-- costs one grouped upsert) in the transaction of every insert, update, delete and truncate.
-- The stored baselines are not recomputed here: the triggers mark the changed hours in
-- sentinel_data.baseline_dirty and readers refresh them later (09_refresh.sql), since their
-- medians cost ~300 us per record, 30 times the rest of an insert.
-- Statement triggers of one event fire in name order: rollup_* before totals_*, and for an
-- update rollup_update_add before rollup_update_remove (the sums come out the same).

create function sentinel_internal.add_service_totals() returns trigger
language plpgsql
as $$
begin
    insert into sentinel_data.service_totals as totals
        (service, record_count, cost_sum, cost_sum_squares, intraday_count)
    select
        service,
        count(*) as record_count,
        sum(cost) as cost_sum,
        sum(cost * cost) as cost_sum_squares,
        -- Usage stamped within the day: the service's data is not daily (sentinel.daily_services).
        count(*) filter (
            where charge_type = 'usage' and "timestamp" <> date_trunc('day', "timestamp", 'UTC')
        ) as intraday_count
    from added
    group by service
    -- A fixed order, so that concurrent batches lock the service rows in the same order.
    order by service
    on conflict (service) do update set
        record_count = totals.record_count + excluded.record_count,
        cost_sum = totals.cost_sum + excluded.cost_sum,
        cost_sum_squares = totals.cost_sum_squares + excluded.cost_sum_squares,
        intraday_count = totals.intraday_count + excluded.intraday_count;
    return null;
end
$$;

create function sentinel_internal.subtract_service_totals() returns trigger
language plpgsql
as $$
begin
    with removed_by_service as (
        select
            service,
            count(*) as record_count,
            sum(cost) as cost_sum,
            sum(cost * cost) as cost_sum_squares,
            count(*) filter (
                where charge_type = 'usage' and "timestamp" <> date_trunc('day', "timestamp", 'UTC')
            ) as intraday_count
        from removed
        group by service
    )
    update sentinel_data.service_totals as totals
    set
        record_count = totals.record_count - removed_by_service.record_count,
        cost_sum = totals.cost_sum - removed_by_service.cost_sum,
        cost_sum_squares = totals.cost_sum_squares - removed_by_service.cost_sum_squares,
        intraday_count = totals.intraday_count - removed_by_service.intraday_count
    from removed_by_service
    where totals.service = removed_by_service.service;
    delete from sentinel_data.service_totals where record_count = 0;
    return null;
end
$$;

create trigger billing_record_totals_insert
    after insert on sentinel_data.billing_record
    referencing new table as added
    for each statement execute function sentinel_internal.add_service_totals();

create trigger billing_record_totals_delete
    after delete on sentinel_data.billing_record
    referencing old table as removed
    for each statement execute function sentinel_internal.subtract_service_totals();

-- An update is a removal of the old rows and an addition of the new ones; two triggers, since
-- one trigger function sees only the transition tables named for it.
create trigger billing_record_totals_update_old
    after update on sentinel_data.billing_record
    referencing old table as removed
    for each statement execute function sentinel_internal.subtract_service_totals();

create trigger billing_record_totals_update_new
    after update on sentinel_data.billing_record
    referencing new table as added
    for each statement execute function sentinel_internal.add_service_totals();

-- truncate fires no row-level transition tables: clear the totals with it.
create function sentinel_internal.clear_service_totals() returns trigger
language plpgsql
as $$
begin
    delete from sentinel_data.service_totals;
    return null;
end
$$;

create trigger billing_record_totals_truncate
    after truncate on sentinel_data.billing_record
    for each statement execute function sentinel_internal.clear_service_totals();


-- Rollup rows are upserted in key order so that concurrent batches lock them in the same order
-- and cannot deadlock each other.
create function sentinel_internal.rollup_added()
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

create function sentinel_internal.rollup_removed()
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

create function sentinel_internal.rollup_truncated()
returns trigger
language plpgsql
as $$
begin
    truncate sentinel_data.hourly_cost, sentinel_data.service_hourly_cost, sentinel_data.baseline_dirty;
    return null;
end
$$;

comment on function sentinel_internal.rollup_added() is
    'Statement trigger: adds the inserted records (transition table added_rows) to the hourly rollups and marks their hours in baseline_dirty.';
comment on function sentinel_internal.rollup_removed() is
    'Statement trigger: subtracts deleted or replaced records (transition table removed_rows) and marks their hours in baseline_dirty.';
comment on function sentinel_internal.rollup_truncated() is
    'Statement trigger: empties the rollups when billing_record is truncated.';

create trigger billing_record_rollup_insert
    after insert on sentinel_data.billing_record
    referencing new table as added_rows
    for each statement execute function sentinel_internal.rollup_added();

-- An update is a removal of the old rows followed by an addition of the new ones.
create trigger billing_record_rollup_update_remove
    after update on sentinel_data.billing_record
    referencing old table as removed_rows
    for each statement execute function sentinel_internal.rollup_removed();

create trigger billing_record_rollup_update_add
    after update on sentinel_data.billing_record
    referencing new table as added_rows
    for each statement execute function sentinel_internal.rollup_added();

create trigger billing_record_rollup_delete
    after delete on sentinel_data.billing_record
    referencing old table as removed_rows
    for each statement execute function sentinel_internal.rollup_removed();

create trigger billing_record_rollup_truncate
    after truncate on sentinel_data.billing_record
    for each statement execute function sentinel_internal.rollup_truncated();


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
    seasonal_spread,
    seasonal_ratio,
    seasonal_shape
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
comment on column sentinel.service_hourly_costs.seasonal_ratio is
    'cost / baseline_mean: the hour against its trailing mean (the seasonal shape is the median of these).';
comment on column sentinel.service_hourly_costs.seasonal_shape is
    'The seasonal shape of this hour: the median seasonal_ratio of the same hours in the 28 days before.';
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
    'Last hour changed since the last refresh; a refresh recomputes up to sentinel_internal.refresh_horizon() (71 days) after it.';

