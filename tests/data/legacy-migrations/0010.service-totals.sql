-- Why: the original z-score rule needs each service's mean and spread. Computing them with a
-- window over every record costs seconds at millions of records; exact running sums kept in
-- the same transaction as every insert, update and delete give the same numbers in
-- microseconds, and an index on (service, cost) then finds the outliers by range scan.
-- depends: 0003.reader-role

create table sentinel_data.service_totals (
    service text primary key,
    record_count bigint not null,
    -- Exact sums (numeric), so deletes subtract back to exactly what remains.
    cost_sum numeric not null,
    cost_sum_squares numeric not null
);

comment on table sentinel_data.service_totals is
    'Running count, sum and sum of squares of cost per service, maintained by triggers on billing_record.';

insert into sentinel_data.service_totals (service, record_count, cost_sum, cost_sum_squares)
select
    service,
    count(*) as record_count,
    sum(cost) as cost_sum,
    sum(cost * cost) as cost_sum_squares
from sentinel_data.billing_record
group by service;

create function sentinel_data.add_service_totals() returns trigger
language plpgsql
as $$
begin
    insert into sentinel_data.service_totals as totals
        (service, record_count, cost_sum, cost_sum_squares)
    select
        service,
        count(*) as record_count,
        sum(cost) as cost_sum,
        sum(cost * cost) as cost_sum_squares
    from added
    group by service
    -- A fixed order, so that concurrent batches lock the service rows in the same order.
    order by service
    on conflict (service) do update set
        record_count = totals.record_count + excluded.record_count,
        cost_sum = totals.cost_sum + excluded.cost_sum,
        cost_sum_squares = totals.cost_sum_squares + excluded.cost_sum_squares;
    return null;
end
$$;

create function sentinel_data.subtract_service_totals() returns trigger
language plpgsql
as $$
begin
    with removed_by_service as (
        select
            service,
            count(*) as record_count,
            sum(cost) as cost_sum,
            sum(cost * cost) as cost_sum_squares
        from removed
        group by service
    )
    update sentinel_data.service_totals as totals
    set
        record_count = totals.record_count - removed_by_service.record_count,
        cost_sum = totals.cost_sum - removed_by_service.cost_sum,
        cost_sum_squares = totals.cost_sum_squares - removed_by_service.cost_sum_squares
    from removed_by_service
    where totals.service = removed_by_service.service;
    delete from sentinel_data.service_totals where record_count = 0;
    return null;
end
$$;

create trigger billing_record_totals_insert
    after insert on sentinel_data.billing_record
    referencing new table as added
    for each statement execute function sentinel_data.add_service_totals();

create trigger billing_record_totals_delete
    after delete on sentinel_data.billing_record
    referencing old table as removed
    for each statement execute function sentinel_data.subtract_service_totals();

-- An update is a removal of the old rows and an addition of the new ones; two triggers, since
-- one trigger function sees only the transition tables named for it.
create trigger billing_record_totals_update_old
    after update on sentinel_data.billing_record
    referencing old table as removed
    for each statement execute function sentinel_data.subtract_service_totals();

create trigger billing_record_totals_update_new
    after update on sentinel_data.billing_record
    referencing new table as added
    for each statement execute function sentinel_data.add_service_totals();

-- truncate fires no row-level transition tables: clear the totals with it.
create function sentinel_data.clear_service_totals() returns trigger
language plpgsql
as $$
begin
    delete from sentinel_data.service_totals;
    return null;
end
$$;

create trigger billing_record_totals_truncate
    after truncate on sentinel_data.billing_record
    for each statement execute function sentinel_data.clear_service_totals();

create index billing_record_service_cost_idx on sentinel_data.billing_record (service, cost);

-- The API and psql read the same function; it now starts from the running totals and
-- range-scans each service for costs beyond mean ± threshold × stddev.
create or replace function sentinel.anomalies(threshold double precision)
returns table (
    id bigint,
    service text,
    cost numeric,
    "timestamp" timestamptz,
    region text,
    account_id text,
    z_score double precision
)
language sql
stable
strict
-- It reads the private tables, so it runs with its owner's rights (as a view does) for the
-- reader role; names are schema-qualified and the search_path is pinned.
security definer
set search_path = pg_catalog, pg_temp
-- The row estimates of the lateral scans are far too high, and JIT compiling them costs
-- hundreds of milliseconds for a query that runs in one.
set jit = off
as $$
    with stats as (
        select
            service,
            cost_sum / record_count as mean_cost,
            sqrt(record_count * cost_sum_squares - cost_sum * cost_sum) / record_count
                as stddev_cost
        from sentinel_data.service_totals
        -- Fewer than two records or no spread at all: never flagged. Exact, in numeric.
        where record_count >= 2 and record_count * cost_sum_squares - cost_sum * cost_sum > 0
    ),
    bounds as (
        select
            service,
            mean_cost,
            stddev_cost,
            -- A hair inside the exact bound; the z filter below makes the final cut, in the
            -- same double precision as the z_score it returns.
            mean_cost - threshold::numeric * stddev_cost * 0.999999 as low,
            mean_cost + threshold::numeric * stddev_cost * 0.999999 as high
        from stats
    ),
    scored as (
        select
            record.id,
            record.service,
            record.cost,
            record."timestamp",
            record.region,
            record.account_id,
            (record.cost::double precision - bounds.mean_cost::double precision)
                / bounds.stddev_cost::double precision as z_score
        from bounds
        cross join lateral (
            select id, service, cost, "timestamp", region, account_id
            from sentinel_data.billing_record
            where service = bounds.service and cost > bounds.high
            union all
            select id, service, cost, "timestamp", region, account_id
            from sentinel_data.billing_record
            where service = bounds.service and cost < bounds.low
        ) as record
    )
    select id, service, cost, "timestamp", region, account_id, z_score
    from scored
    where abs(z_score) > threshold
    order by abs(z_score) desc, id
$$;

comment on function sentinel.anomalies(double precision) is
    'Records whose |z_score| is strictly above threshold, largest |z_score| first: select id, service, cost, z_score from sentinel.anomalies(5.0)';

-- The per-record view computes the same exact sums with window functions, and from them the
-- mean, stddev and z-score with the very expressions anomalies() uses, so the two agree to the
-- last bit (a float stddev accumulated row by row depends on row order; exact sums do not).
create or replace view sentinel.record_scores as
with sums as (
    select
        id,
        service,
        cost,
        "timestamp",
        region,
        account_id,
        is_anomaly,
        count(*) over per_service as service_records,
        sum(cost) over per_service as cost_sum,
        sum(cost * cost) over per_service as cost_sum_squares
    from sentinel_data.billing_record
    window per_service as (partition by service)
),
stats as (
    select
        id,
        service,
        cost,
        "timestamp",
        region,
        account_id,
        is_anomaly,
        service_records,
        cost_sum / service_records as mean_cost,
        sqrt(service_records * cost_sum_squares - cost_sum * cost_sum) / service_records
            as stddev_cost,
        service_records * cost_sum_squares - cost_sum * cost_sum > 0 as has_spread
    from sums
)
select
    id,
    service,
    cost,
    "timestamp",
    region,
    account_id,
    is_anomaly,
    service_records,
    mean_cost::double precision as service_mean,
    stddev_cost::double precision as service_stddev,
    case
        when service_records >= 2 and has_spread
            then (cost::double precision - mean_cost::double precision)
                / stddev_cost::double precision
    end as z_score
from stats;

comment on view sentinel.record_scores is
    'Every record with its service''s mean, population stddev and z-score (the original rule).';

-- The summary reads the running totals too: the same exact sums, without a scan.
create or replace view sentinel.cost_summary as
select
    service,
    cost_sum as total_cost
from sentinel_data.service_totals;

comment on view sentinel.cost_summary is 'Total spend per service (GET /api/v1/billing/summary).';
