-- Why: undo 0010; the anomaly function and the summary go back to scanning every record.
create or replace view sentinel.cost_summary as
select
    service,
    total_cost
from sentinel.service_stats;

create or replace view sentinel.record_scores as
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

drop index sentinel_data.billing_record_service_cost_idx;
drop trigger billing_record_totals_truncate on sentinel_data.billing_record;
drop trigger billing_record_totals_update_new on sentinel_data.billing_record;
drop trigger billing_record_totals_update_old on sentinel_data.billing_record;
drop trigger billing_record_totals_delete on sentinel_data.billing_record;
drop trigger billing_record_totals_insert on sentinel_data.billing_record;
drop function sentinel_data.clear_service_totals();
drop function sentinel_data.subtract_service_totals();
drop function sentinel_data.add_service_totals();
drop table sentinel_data.service_totals;
