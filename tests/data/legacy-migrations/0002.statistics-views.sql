-- Why: the statistics live in PostgreSQL, defined once, so the API and psql users read the
-- same numbers and can never disagree. This schema of views is the contract; tables stay private.
-- depends: 0001.billing-records

create schema sentinel;
comment on schema sentinel is
    'Sentinel''s public contract: views and functions over the billing records. Start with \dv+ sentinel.*';

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

create view sentinel.cost_summary as
select
    service,
    total_cost
from sentinel.service_stats;

comment on view sentinel.cost_summary is 'Total spend per service (GET /api/v1/billing/summary).';

create view sentinel.record_scores as
with scored as (
    select
        id,
        service,
        cost,
        "timestamp",
        region,
        account_id,
        is_anomaly,
        count(*) over per_service as service_records,
        avg(cost::double precision) over per_service as service_mean,
        stddev_pop(cost::double precision) over per_service as service_stddev,
        -- Zero spread is decided on the exact values: a float stddev of identical
        -- values can come out as 1e-17 instead of 0.
        min(cost) over per_service = max(cost) over per_service as zero_spread
    from sentinel_data.billing_record
    window per_service as (partition by service)
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
    service_mean,
    service_stddev,
    case
        when service_records >= 2 and not zero_spread
            then (cost::double precision - service_mean) / nullif(service_stddev, 0)
    end as z_score
from scored;

comment on view sentinel.record_scores is
    'Every record with its service''s mean, population stddev and z-score (the original rule).';
comment on column sentinel.record_scores.service_records is 'How many records the service has.';
comment on column sentinel.record_scores.service_mean is 'Mean cost of the record''s service.';
comment on column sentinel.record_scores.service_stddev is
    'Population standard deviation of the service''s cost.';
comment on column sentinel.record_scores.z_score is
    '(cost - service_mean) / service_stddev; null when the service has fewer than 2 records or all its costs are equal.';

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
as $$
    select
        scores.id,
        scores.service,
        scores.cost,
        scores."timestamp",
        scores.region,
        scores.account_id,
        scores.z_score
    from sentinel.record_scores as scores
    where abs(scores.z_score) > threshold
    order by abs(scores.z_score) desc, scores.id
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
from sentinel.anomalies(2.0);

comment on view sentinel.anomalies is
    'Anomalies at the default threshold, |z_score| > 2.0. For another threshold: select id, service, cost, z_score from sentinel.anomalies(5.0)';
