-- Why: detectors judge spend per hour or day, and the original rule needs each service's sums;
-- both are kept in the transaction of every insert, update, delete and truncate of
-- billing_record. What a set of records adds to them is one grouped pass: the records become
-- buckets (service, account, region, UTC hour, usage or not) with their signed counts and
-- sums, and sentinel_internal.apply_buckets adds the buckets to every rollup with one upsert
-- per table and bucket, never one per record. The statement triggers below feed it their
-- transition tables (a batch of 100k records costs one grouping); an import feeds it the
-- partitions it attaches and detaches (15_import_partitions.sql), which fire no trigger.
-- The stored baselines are not recomputed here: the changed hours are marked in
-- sentinel_data.baseline_dirty and readers refresh them later (09_refresh.sql), since their
-- medians cost ~300 us per record, 30 times the rest of an insert.

create type sentinel_internal.record_bucket as (
    service text,
    account_id text,
    region text,
    hour timestamptz,
    -- Only usage is in the hourly rollups; every charge counts in the service totals.
    usage boolean,
    record_count bigint,
    cost numeric,
    cost_squares numeric,
    -- Usage stamped within the day: the service's data is not daily (sentinel.daily_services).
    intraday_count bigint
);

comment on type sentinel_internal.record_bucket is
    'What the records of one service, account, region, UTC hour and kind (usage or not) add to the rollups; negative for records removed.';

-- The grouping as the text of a query over any relation: a trigger's transition tables are
-- visible to the queries its own function executes and to no function it calls, so the trigger
-- executes this text itself; the importer runs it over the partitions it swaps.
create function sentinel_internal.record_buckets_sql(relation text, sign integer)
returns text
language sql
immutable
strict
as $$
    select format(
        $query$
        select array(
            select row(
                rec.service,
                rec.account_id,
                rec.region,
                date_trunc('hour', rec."timestamp", 'UTC'),
                rec.charge_type = 'usage',
                %2$s * count(*),
                %2$s * sum(rec.cost),
                %2$s * sum(rec.cost * rec.cost),
                %2$s * count(*) filter (
                    where rec.charge_type = 'usage'
                        and rec."timestamp" <> date_trunc('day', rec."timestamp", 'UTC')
                )
            )::sentinel_internal.record_bucket
            from %1$s as rec
            group by
                rec.service,
                rec.account_id,
                rec.region,
                date_trunc('hour', rec."timestamp", 'UTC'),
                rec.charge_type = 'usage'
        )
        $query$,
        relation,
        sign
    )
$$;

-- Rows are upserted in key order so that concurrent batches lock them in the same order and
-- cannot deadlock each other.
create function sentinel_internal.apply_buckets(buckets sentinel_internal.record_bucket[])
returns void
language plpgsql
as $$
declare
    shrinks boolean := exists (select from unnest(buckets) as bucket where bucket.record_count < 0);
begin
    if shrinks then
        -- Removals and additions together (an update, a swapped partition): net them, so a
        -- bucket whose records came back unchanged is written nowhere and marks nothing stale.
        buckets := array(
            select row(
                bucket.service, bucket.account_id, bucket.region, bucket.hour, bucket.usage,
                sum(bucket.record_count), sum(bucket.cost), sum(bucket.cost_squares),
                sum(bucket.intraday_count)
            )::sentinel_internal.record_bucket
            from unnest(buckets) as bucket
            group by bucket.service, bucket.account_id, bucket.region, bucket.hour, bucket.usage
            having sum(bucket.record_count) <> 0
                or sum(bucket.cost) <> 0
                or sum(bucket.cost_squares) <> 0
                or sum(bucket.intraday_count) <> 0
        );
    end if;

    -- The usage hours changed, queued for the next alert evaluation (12_alerts.sql); the
    -- NOTIFY (delivered at commit, and only then) wakes the servers' evaluators right after
    -- the data is committed, whoever wrote it (the API, an import, psql). First, as it was
    -- when a trigger of its own did it: an evaluation never holds these rows.
    insert into sentinel_data.alert_touch (service, first_hour, last_hour)
    select bucket.service, min(bucket.hour), max(bucket.hour)
    from unnest(buckets) as bucket
    where bucket.usage
    group by bucket.service
    order by 1
    on conflict (service) do update
        set first_hour = least(alert_touch.first_hour, excluded.first_hour),
            last_hour = greatest(alert_touch.last_hour, excluded.last_hour);
    if found then
        perform pg_notify('sentinel_alert_touch', '');
    end if;

    -- Before any rollup row: a refresh holds a service's dirty row while it rewrites that
    -- service's rollup rows, so taking the rows in the same order cannot deadlock.
    insert into sentinel_data.baseline_dirty (service, first_hour, last_hour)
    select bucket.service, min(bucket.hour), max(bucket.hour)
    from unnest(buckets) as bucket
    group by bucket.service
    order by 1
    on conflict (service) do update
        set first_hour = least(baseline_dirty.first_hour, excluded.first_hour),
            last_hour = greatest(baseline_dirty.last_hour, excluded.last_hour);

    insert into sentinel_data.hourly_cost (service, account_id, region, hour, cost, record_count)
    select
        bucket.service, bucket.account_id, bucket.region, bucket.hour,
        sum(bucket.cost), sum(bucket.record_count)
    from unnest(buckets) as bucket
    where bucket.usage
    group by bucket.service, bucket.account_id, bucket.region, bucket.hour
    order by 1, 2, 3, 4
    on conflict (service, account_id, region, hour) do update
        set cost = hourly_cost.cost + excluded.cost,
            record_count = hourly_cost.record_count + excluded.record_count;

    insert into sentinel_data.service_hourly_cost (service, hour, cost, record_count)
    select bucket.service, bucket.hour, sum(bucket.cost), sum(bucket.record_count)
    from unnest(buckets) as bucket
    where bucket.usage
    group by bucket.service, bucket.hour
    order by 1, 2
    on conflict (service, hour) do update
        set cost = service_hourly_cost.cost + excluded.cost,
            record_count = service_hourly_cost.record_count + excluded.record_count;

    insert into sentinel_data.service_totals as totals
        (service, record_count, cost_sum, cost_sum_squares, intraday_count)
    select
        bucket.service,
        sum(bucket.record_count),
        sum(bucket.cost),
        sum(bucket.cost_squares),
        sum(bucket.intraday_count)
    from unnest(buckets) as bucket
    group by bucket.service
    order by 1
    on conflict (service) do update set
        record_count = totals.record_count + excluded.record_count,
        cost_sum = totals.cost_sum + excluded.cost_sum,
        cost_sum_squares = totals.cost_sum_squares + excluded.cost_sum_squares,
        intraday_count = totals.intraday_count + excluded.intraday_count;

    if shrinks then
        -- Rows whose last record went: the hours are absent again (only the keys just touched
        -- are looked at, through their primary keys).
        delete from sentinel_data.hourly_cost as rollup
        using unnest(buckets) as bucket
        where bucket.usage
            and (rollup.service, rollup.account_id, rollup.region, rollup.hour)
                = (bucket.service, bucket.account_id, bucket.region, bucket.hour)
            and rollup.record_count = 0;
        delete from sentinel_data.service_hourly_cost as rollup
        using unnest(buckets) as bucket
        where bucket.usage
            and (rollup.service, rollup.hour) = (bucket.service, bucket.hour)
            and rollup.record_count = 0;
        delete from sentinel_data.service_totals as totals
        using unnest(buckets) as bucket
        where totals.service = bucket.service
            and totals.record_count = 0;
    end if;
end
$$;

comment on function sentinel_internal.apply_buckets(sentinel_internal.record_bucket[]) is
    'Adds signed record buckets to hourly_cost, service_hourly_cost and service_totals, marks their hours in baseline_dirty and alert_touch, and deletes rows left with no record.';

-- One trigger function for inserts, updates and deletes: an update is the removal of its old
-- rows and the addition of its new ones, netted.
create function sentinel_internal.records_changed()
returns trigger
language plpgsql
as $$
declare
    added sentinel_internal.record_bucket[] := '{}';
    removed sentinel_internal.record_bucket[] := '{}';
begin
    if tg_op in ('INSERT', 'UPDATE') then
        execute sentinel_internal.record_buckets_sql('added_rows', 1) into added;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        execute sentinel_internal.record_buckets_sql('removed_rows', -1) into removed;
    end if;
    perform sentinel_internal.apply_buckets(added || removed);
    return null;
end
$$;

create function sentinel_internal.records_truncated()
returns trigger
language plpgsql
as $$
begin
    truncate sentinel_data.hourly_cost, sentinel_data.service_hourly_cost,
        sentinel_data.baseline_dirty, sentinel_data.service_totals;
    -- Nothing is left to evaluate.
    delete from sentinel_data.alert_touch;
    return null;
end
$$;

comment on function sentinel_internal.records_changed() is
    'Statement trigger: adds the inserted records (transition table added_rows) and subtracts the deleted ones (removed_rows) in the rollups and totals.';
comment on function sentinel_internal.records_truncated() is
    'Statement trigger: empties the rollups, totals and evaluation queue when billing_record is truncated.';

-- Statement triggers on the partitioned table see the rows of every partition a statement
-- changes through it (the only way in: the server has no grant on the partitions).
create trigger billing_record_insert
    after insert on sentinel_data.billing_record
    referencing new table as added_rows
    for each statement execute function sentinel_internal.records_changed();

create trigger billing_record_update
    after update on sentinel_data.billing_record
    referencing old table as removed_rows new table as added_rows
    for each statement execute function sentinel_internal.records_changed();

create trigger billing_record_delete
    after delete on sentinel_data.billing_record
    referencing old table as removed_rows
    for each statement execute function sentinel_internal.records_changed();

create trigger billing_record_truncate
    after truncate on sentinel_data.billing_record
    for each statement execute function sentinel_internal.records_truncated();


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

