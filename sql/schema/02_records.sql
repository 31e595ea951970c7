-- Why: the records and the original Sentinel's statistics, defined once in SQL so that the API
-- and psql users read the same numbers. The running totals (sentinel_data.service_totals, kept
-- by the triggers of 03_rollups.sql) give each service's mean and spread without a scan.

create view sentinel.billing_records as
select
    id,
    service,
    cost,
    "timestamp",
    region,
    account_id,
    is_anomaly,
    created_at
from sentinel_data.billing_record;

comment on view sentinel.billing_records is
    'Every stored billing record, one row per line item (the REST list endpoint reads this).';
comment on column sentinel.billing_records.cost is 'Amount charged, exact (numeric), in the billing currency.';
comment on column sentinel.billing_records."timestamp" is 'When the charge happened (UTC).';
comment on column sentinel.billing_records.is_anomaly is
    'The sender''s own label (the mock seed sets it on injected spikes); detection never writes it.';
comment on column sentinel.billing_records.created_at is 'When Sentinel stored the record.';

create view sentinel.service_stats as
select
    service,
    count(*) as record_count,
    sum(cost) as total_cost,
    avg(cost::double precision) as mean_cost,
    stddev_pop(cost::double precision) as stddev_cost,
    min(cost) as min_cost,
    max(cost) as max_cost
from sentinel_data.billing_record
group by service;

comment on view sentinel.service_stats is
    'Per-service statistics over all stored records: the baseline of the original z-score rule.';
comment on column sentinel.service_stats.total_cost is 'Exact sum of cost (numeric).';
comment on column sentinel.service_stats.mean_cost is 'Mean cost, double precision.';
comment on column sentinel.service_stats.stddev_cost is
    'Population standard deviation (stddev_pop) of cost, double precision.';

-- The summary reads the running totals too: the same exact sums, without a scan.
create view sentinel.cost_summary as
select
    service,
    cost_sum as total_cost
from sentinel_data.service_totals;

comment on view sentinel.cost_summary is 'Total spend per service (GET /api/v1/billing/summary).';

-- Which services send daily data: no usage record stamped within a day (daily CUR, Azure and
-- FOCUS daily charges land at midnight UTC). One point a day at 00:00 is not an hourly series:
-- these are judged with granularity day (a day monitor filtered to them, README "Detection").
create view sentinel.daily_services as
select service
from sentinel_data.service_totals
where intraday_count = 0;

comment on view sentinel.daily_services is
    'Services whose usage records are all stamped at midnight UTC (daily exports): judge them with granularity day.';

-- The per-record view computes the same exact sums with window functions, and from them the
-- mean, stddev and z-score with the very expressions anomalies() uses, so the two agree to the
-- last bit (a float stddev accumulated row by row depends on row order; exact sums do not).
create view sentinel.record_scores as
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
comment on column sentinel.record_scores.service_records is 'How many records the service has.';
comment on column sentinel.record_scores.service_mean is 'Mean cost of the record''s service.';
comment on column sentinel.record_scores.service_stddev is
    'Population standard deviation of the service''s cost.';
comment on column sentinel.record_scores.z_score is
    '(cost - service_mean) / service_stddev; null when the service has fewer than 2 records or all its costs are equal.';

-- The API and psql read the same function; it now starts from the running totals and
-- range-scans each service for costs beyond mean ± threshold × stddev.
create function sentinel.anomalies(threshold double precision)
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
    -- Materialized: inlined, the numeric mean and sqrt were recomputed for every record the
    -- scans return (a third of the call's time with 27k flagged at 1M records).
    bounds as materialized (
        select
            service,
            mean_cost::double precision as mean_cost,
            stddev_cost::double precision as stddev_cost,
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
            (record.cost::double precision - bounds.mean_cost) / bounds.stddev_cost as z_score
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

create view sentinel.anomalies as
select
    id,
    service,
    cost,
    "timestamp",
    region,
    account_id,
    z_score
from sentinel.anomalies(
    (select defaults.threshold from sentinel.detector_defaults as defaults where defaults.detector = 'zscore')
);

comment on view sentinel.anomalies is
    'Anomalies at the default threshold (sentinel.detector_defaults, zscore: |z_score| > 2.0). For another threshold: select id, service, cost, z_score from sentinel.anomalies(5.0)';

create view sentinel.imports as
select
    id,
    file_name,
    format,
    checksum,
    case
        when status = 'imported' and superseded_by is not null then 'superseded'
        else status
    end as status,
    row_count,
    replaced_rows,
    billing_periods,
    billing_accounts,
    unchanged_of,
    superseded_by,
    started_at,
    finished_at
from sentinel_data.billing_import;

comment on view sentinel.imports is
    'Import history of billing export files, one row per import (GET /api/v1/billing/imports).';
comment on column sentinel.imports.status is
    'imported; superseded (a later import of the same account and period replaced its rows); unchanged (same bytes as import unchanged_of, nothing stored).';
comment on column sentinel.imports.checksum is 'SHA-256 of the file, hex.';
comment on column sentinel.imports.row_count is 'Billing records the import stored.';
comment on column sentinel.imports.replaced_rows is
    'Records of earlier imports (same billing account and period) that this import replaced.';
comment on column sentinel.imports.billing_periods is 'First days of the billing periods in the file.';
comment on column sentinel.imports.billing_accounts is 'Payer / billing accounts in the file.';

create view sentinel.billing_line_items as
select
    id,
    service,
    cost,
    currency,
    "timestamp",
    region,
    account_id,
    charge_type,
    provider_charge_type,
    usage_type,
    billing_period_start,
    billing_account_id,
    import_id,
    tags,
    is_anomaly,
    created_at
from sentinel_data.billing_record;

comment on view sentinel.billing_line_items is
    'Every stored billing record with the dimensions exports carry (charge type, usage type, currency, billing period, import, tags).';
comment on column sentinel.billing_line_items.charge_type is
    'Normalised: usage, fee, purchase, tax, credit, refund, discount, adjustment, ...; records sent through the API are usage.';
comment on column sentinel.billing_line_items.provider_charge_type is
    'The export''s own charge type (CUR line item type, FOCUS ChargeCategory, Azure ChargeType).';
comment on column sentinel.billing_line_items.usage_type is 'What was consumed, as the provider names it.';
comment on column sentinel.billing_line_items.billing_period_start is 'First day of the invoice month.';
comment on column sentinel.billing_line_items.billing_account_id is 'Payer / billing account of the export.';
comment on column sentinel.billing_line_items.import_id is 'sentinel.imports.id; null for records sent through the API.';
comment on column sentinel.billing_line_items.tags is 'Resource tags as a JSON object.';
