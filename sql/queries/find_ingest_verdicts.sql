-- The causal verdict of records just stored (insert_billing_records, same transaction): the
-- trailing detector's stage (sentinel_internal.trailing_points) at record granularity per
-- service, at the ingest defaults of sentinel.detector_defaults (7 days, threshold 3, 3 earlier
-- records): the same numbers as sentinel.detect('trailing', 'record', '{service}', '7 days', 3.0).
-- One stage call per service of the batch, over the batch's time span and the window before it
-- (a range scan of the (service, timestamp) index each); the arguments are columns, not
-- subqueries, so that the stage is inlined.
-- params: ids bigint[] (the stored records)
-- row: ScoredBillingRecord
with stored as (
    select
        rec.id,
        rec.service,
        rec.cost::double precision as cost,
        rec."timestamp",
        rec.region,
        rec.account_id,
        rec.is_anomaly,
        rec.created_at
    from sentinel.billing_line_items as rec
    where rec.id = any (%(ids)s::bigint[])
),
span as (
    select
        stored.service,
        min(stored."timestamp") as since,
        max(stored."timestamp") as until
    from stored
    group by stored.service
),
scored as (
    select
        point.record_id,
        point.baseline_count,
        point.expected,
        sentinel.verdict_spread(point.spread, point.expected) as spread
    from span
    cross join lateral sentinel_internal.trailing_points(
        'record',
        array['service'],
        sentinel.default_window('ingest'),
        sentinel.default_window('ingest'),
        false,
        array[span.service],
        array[span.since],
        array[span.until]
    ) as point
    where point.target
)
select
    stored.id,
    stored.service,
    stored.cost,
    stored."timestamp",
    stored.region,
    stored.account_id,
    stored.is_anomaly,
    stored.created_at,
    case
        when scored.baseline_count >= (select sentinel.default_min_history('ingest'))
            then round(((stored.cost - scored.expected) / scored.spread)::numeric, 3)::double precision
    end as z_score,
    scored.expected,
    coalesce(
        scored.baseline_count >= (select sentinel.default_min_history('ingest'))
        and abs(stored.cost - scored.expected)
            > (select sentinel.default_threshold('ingest')) * scored.spread,
        false
    ) as anomaly
from stored
inner join scored on stored.id = scored.record_id
order by stored.id
