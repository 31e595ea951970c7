-- Why: detectors judge spend per hour or per day, not single line items, and must answer fast over a
-- year of data. Hourly sums are kept in rollup tables that triggers maintain as records arrive
-- (one statement-level trigger per insert/update/delete, using transition tables, so a batch of
-- 100k records costs one grouped upsert), and views expose hourly and daily cost series.
-- depends: 0003.reader-role

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
    'Sum of billing_record.cost per service, account, region and UTC hour; maintained by triggers.';

-- The default detector groups by service alone; a second rollup saves regrouping a year of rows
-- on every request and gives the window functions their order straight from the primary key.
create table sentinel_data.service_hourly_cost (
    service text not null,
    hour timestamptz not null,
    cost numeric not null,
    record_count bigint not null,
    -- The trailing detector's baseline at its default window (7 days before the hour, the hour
    -- itself excluded), kept current by the triggers so that the default query reads it
    -- instead of recomputing a year of moving statistics per request.
    baseline_count bigint not null default 0,
    baseline_mean double precision,
    baseline_stddev double precision,
    primary key (service, hour)
);

comment on table sentinel_data.service_hourly_cost is
    'Sum of billing_record.cost per service and UTC hour, with its 7-day trailing baseline; maintained by triggers.';
comment on column sentinel_data.service_hourly_cost.baseline_count is
    'Hours of the same service in the 7 days before this hour (this hour excluded).';
comment on column sentinel_data.service_hourly_cost.baseline_mean is
    'avg(cost) over those hours, computed exactly in numeric then cast; null when there are none.';
comment on column sentinel_data.service_hourly_cost.baseline_stddev is
    'stddev_pop(cost) over those hours, computed exactly in numeric then cast; null when there are none.';

-- Recomputes the stored baselines of the hours whose 7-day window may have changed: for each
-- service, from the first changed hour to 7 days after the last one. In-order ingestion touches
-- only the newest hour; a late record touches the week after it. One statement per call, two
-- plans: when few hours need a new baseline (appending the newest hour, the common case) each is
-- a plain aggregate over its own week read from the primary key, which costs about a seventh of
-- a window pass over the week before it; otherwise (a bulk load or a late record) one window
-- pass per service over the affected range, so a batch of any size costs one pass, not one per
-- hour.
create function sentinel_data.refresh_baselines(
    services text[], first_hours timestamptz[], last_hours timestamptz[]
)
returns void
language plpgsql
as $$
declare
    targets bigint;
begin
    select count(*) into targets
    from unnest(services, first_hours, last_hours) as changed (service, first_hour, last_hour)
    inner join sentinel_data.service_hourly_cost as rollup
        on rollup.service = changed.service
        and rollup.hour >= changed.first_hour
        and rollup.hour <= changed.last_hour + interval '7 days';
    if targets <= 4 * coalesce(cardinality(services), 0) then
        update sentinel_data.service_hourly_cost as target
        set baseline_count = week.baseline_count,
            baseline_mean = week.baseline_mean::double precision,
            baseline_stddev = week.baseline_stddev::double precision
        from unnest(services, first_hours, last_hours) as changed (service, first_hour, last_hour)
        cross join lateral (
            select rollup.hour
            from sentinel_data.service_hourly_cost as rollup
            where rollup.service = changed.service
                and rollup.hour >= changed.first_hour
                and rollup.hour <= changed.last_hour + interval '7 days'
        ) as touched
        cross join lateral (
            select
                count(*) as baseline_count,
                avg(earlier.cost) as baseline_mean,
                stddev_pop(earlier.cost) as baseline_stddev
            from sentinel_data.service_hourly_cost as earlier
            where earlier.service = changed.service
                and earlier.hour >= touched.hour - interval '7 days'
                and earlier.hour < touched.hour
        ) as week
        where target.service = changed.service
            and target.hour = touched.hour;
        return;
    end if;
    with touched as (
        select
            changed.service,
            changed.first_hour,
            changed.last_hour
        from unnest(services, first_hours, last_hours) as changed (service, first_hour, last_hour)
    ),
    recomputed as (
        select
            rollup.service,
            rollup.hour,
            touched.first_hour,
            count(*) over trailing_week as baseline_count,
            avg(rollup.cost) over trailing_week as baseline_mean,
            stddev_pop(rollup.cost) over trailing_week as baseline_stddev
        from sentinel_data.service_hourly_cost as rollup
        inner join touched
            on rollup.service = touched.service
            and rollup.hour >= touched.first_hour - interval '7 days'
            and rollup.hour <= touched.last_hour + interval '7 days'
        window trailing_week as (
            partition by rollup.service
            order by rollup.hour
            range between interval '7 days' preceding and interval '1 microsecond' preceding
        )
    )
    update sentinel_data.service_hourly_cost as target
    set baseline_count = recomputed.baseline_count,
        baseline_mean = recomputed.baseline_mean::double precision,
        baseline_stddev = recomputed.baseline_stddev::double precision
    from recomputed
    where target.service = recomputed.service
        and target.hour = recomputed.hour
        and recomputed.hour >= recomputed.first_hour;
end
$$;

comment on function sentinel_data.refresh_baselines(text[], timestamptz[], timestamptz[]) is
    'Recomputes service_hourly_cost baselines for each service from first_hour to last_hour + 7 days.';

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
    insert into sentinel_data.hourly_cost (service, account_id, region, hour, cost, record_count)
    select
        added.service,
        added.account_id,
        added.region,
        date_trunc('hour', added."timestamp", 'UTC') as hour,
        sum(added.cost) as cost,
        count(*) as record_count
    from added_rows as added
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
    group by added.service, date_trunc('hour', added."timestamp", 'UTC')
    order by 1, 2
    on conflict (service, hour) do update
        set cost = service_hourly_cost.cost + excluded.cost,
            record_count = service_hourly_cost.record_count + excluded.record_count;

    perform sentinel_data.refresh_baselines(
        array_agg(span.service), array_agg(span.first_hour), array_agg(span.last_hour)
    )
    from (
        select
            added.service,
            min(date_trunc('hour', added."timestamp", 'UTC')) as first_hour,
            max(date_trunc('hour', added."timestamp", 'UTC')) as last_hour
        from added_rows as added
        group by added.service
    ) as span;
    return null;
end
$$;

create function sentinel_data.rollup_removed()
returns trigger
language plpgsql
as $$
begin
    with removed as (
        select
            gone.service,
            gone.account_id,
            gone.region,
            date_trunc('hour', gone."timestamp", 'UTC') as hour,
            sum(gone.cost) as cost,
            count(*) as record_count
        from removed_rows as gone
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
        group by gone.service, date_trunc('hour', gone."timestamp", 'UTC')
    )
    update sentinel_data.service_hourly_cost as rollup
    set cost = rollup.cost - removed.cost,
        record_count = rollup.record_count - removed.record_count
    from removed
    where (rollup.service, rollup.hour) = (removed.service, removed.hour);

    delete from sentinel_data.hourly_cost where record_count = 0;
    delete from sentinel_data.service_hourly_cost where record_count = 0;

    perform sentinel_data.refresh_baselines(
        array_agg(span.service), array_agg(span.first_hour), array_agg(span.last_hour)
    )
    from (
        select
            gone.service,
            min(date_trunc('hour', gone."timestamp", 'UTC')) as first_hour,
            max(date_trunc('hour', gone."timestamp", 'UTC')) as last_hour
        from removed_rows as gone
        group by gone.service
    ) as span;
    return null;
end
$$;

create function sentinel_data.rollup_truncated()
returns trigger
language plpgsql
as $$
begin
    truncate sentinel_data.hourly_cost, sentinel_data.service_hourly_cost;
    return null;
end
$$;

comment on function sentinel_data.rollup_added() is
    'Statement trigger: adds the inserted records (transition table added_rows) to the hourly rollups.';
comment on function sentinel_data.rollup_removed() is
    'Statement trigger: subtracts deleted or replaced records (transition table removed_rows).';
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
group by service, account_id, region, date_trunc('hour', "timestamp", 'UTC');

insert into sentinel_data.service_hourly_cost (service, hour, cost, record_count)
select
    service,
    date_trunc('hour', "timestamp", 'UTC') as hour,
    sum(cost) as cost,
    count(*) as record_count
from sentinel_data.billing_record
group by service, date_trunc('hour', "timestamp", 'UTC');

select sentinel_data.refresh_baselines(array_agg(service), array_agg(first_hour), array_agg(last_hour))
from (
    select
        service,
        min(hour) as first_hour,
        max(hour) as last_hour
    from sentinel_data.service_hourly_cost
    group by service
) as span;

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
    'Spend per service, account, region and UTC hour (hours without records are absent).';
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
    baseline_stddev
from sentinel_data.service_hourly_cost;

comment on view sentinel.service_hourly_costs is
    'Spend per service and UTC hour, all accounts and regions together (hours without records are absent).';
comment on column sentinel.service_hourly_costs.hour is 'Start of the UTC hour.';
comment on column sentinel.service_hourly_costs.cost is 'Exact sum of the records'' cost in that hour.';
comment on column sentinel.service_hourly_costs.record_count is 'How many records the hour holds.';
comment on column sentinel.service_hourly_costs.baseline_count is
    'Hours of the same service in the 7 days before this hour (this hour excluded).';
comment on column sentinel.service_hourly_costs.baseline_mean is
    'Mean hourly cost over those hours: the trailing detector''s expected value at its default window.';
comment on column sentinel.service_hourly_costs.baseline_stddev is
    'Population standard deviation of the hourly cost over those hours.';

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
    'Spend per service, account, region and UTC day (days without records are absent).';
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
    'Spend per service and UTC day, all accounts and regions together (days without records are absent).';
comment on column sentinel.service_daily_costs.day is 'Start of the UTC day.';
comment on column sentinel.service_daily_costs.cost is 'Exact sum of the records'' cost in that day.';
comment on column sentinel.service_daily_costs.record_count is 'How many records the day holds.';
