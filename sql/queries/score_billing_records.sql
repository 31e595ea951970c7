-- The verdict at ingest of records just stored in this transaction: the trailing detector
-- (sentinel_internal.trailing_points, the one definition of it) per service at record
-- granularity, over the usage records of the window before each record (earlier records of the
-- same batch included), at the ingest defaults of sentinel.detector_defaults (7 days, threshold
-- 3, 3 earlier records): the numbers of sentinel.detect('trailing', 'record', '{service}',
-- '7 days', 3.0). Only the window before the batch's own time span is read, by one index range
-- scan per service. A separate statement from the insert, since a statement does not see the
-- rows it inserts.
-- params: ids bigint[] (the stored records)
-- row: ScoredBillingRecord, by id
with batch as (
    select
        rec.id,
        rec.service,
        rec.cost,
        rec."timestamp",
        rec.region,
        rec.account_id,
        rec.is_anomaly,
        rec.created_at
    from sentinel.billing_records as rec
    where rec.id = any (%(ids)s::bigint[])
),
spans as (
    select
        array_agg(per_service.service) as services,
        array_agg(per_service.first_time) as first_times,
        array_agg(per_service.last_time) as last_times
    from (
        select
            batch.service,
            min(batch."timestamp") as first_time,
            max(batch."timestamp") as last_time
        from batch
        group by batch.service
    ) as per_service
),
verdicts as (
    select
        verdict.record_id,
        verdict.baseline_count,
        verdict.expected,
        sentinel.verdict_spread(verdict.spread, verdict.expected) as spread
    from spans
    cross join lateral sentinel_internal.trailing_points(
        'record',
        array['service'],
        sentinel.default_window('ingest'),
        sentinel.default_window('ingest'),
        false,
        spans.services,
        spans.first_times,
        spans.last_times
    ) as verdict
    where verdict.target
)
select
    batch.id,
    batch.service,
    batch.cost::double precision as cost,
    batch."timestamp",
    batch.region,
    batch.account_id,
    batch.is_anomaly,
    batch.created_at,
    case
        when verdicts.baseline_count >= sentinel.default_min_history('ingest')
            then round(((batch.cost::double precision - verdicts.expected) / verdicts.spread)::numeric, 3)::double precision
    end as z_score,
    verdicts.expected,
    coalesce(
        verdicts.baseline_count >= sentinel.default_min_history('ingest')
        and abs(batch.cost::double precision - verdicts.expected)
            > sentinel.default_threshold('ingest') * verdicts.spread,
        false
    ) as anomaly
from batch
inner join verdicts on verdicts.record_id = batch.id
order by batch.id
