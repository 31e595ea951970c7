-- Store billing records (all or nothing) and return each with its causal verdict: the trailing
-- detector at record granularity per service (sentinel_internal.batch_trailing_points: the
-- stage of sentinel.detect('trailing', 'record', '{service}', ...)), at the ingest defaults of
-- sentinel.detector_defaults (7 days, threshold 3, 3 earlier records). The statement cannot
-- read the rows it inserts, so it hands them to the stage as its batch (scoped_points reads
-- the records before them, by a range scan of the (service, timestamp) index per service).
-- params: services text[], costs float8[], timestamps timestamptz[], regions text[],
--         account_ids text[], is_anomalies boolean[] (equal lengths, one element per record)
-- row: ScoredBillingRecord
with stored as (
    insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id, is_anomaly)
    select
        input.service,
        input.cost,
        input."timestamp",
        input.region,
        input.account_id,
        input.is_anomaly
    from unnest(
        %(services)s::text[],
        %(costs)s::double precision[],
        %(timestamps)s::timestamptz[],
        %(regions)s::text[],
        %(account_ids)s::text[],
        %(is_anomalies)s::boolean[]
    ) with ordinality as input (service, cost, "timestamp", region, account_id, is_anomaly, position)
    order by input.position
    returning
        id,
        service,
        cost,
        "timestamp",
        region,
        account_id,
        is_anomaly,
        created_at
),
scored as (
    select
        point.record_id as id,
        point.baseline_count,
        point.expected,
        sentinel.verdict_spread(point.spread, point.expected) as spread
    from sentinel_internal.batch_trailing_points(
        array(
            select row(stored.id, stored.service, stored."timestamp", stored.cost)::sentinel_internal.batch_record
            from stored
        )
    ) as point
)
select
    stored.id,
    stored.service,
    stored.cost::double precision as cost,
    stored."timestamp",
    stored.region,
    stored.account_id,
    stored.is_anomaly,
    stored.created_at,
    case
        when scored.baseline_count >= (select sentinel.required_history('ingest', 'record', sentinel.default_window('ingest')))
            then round(((stored.cost::double precision - scored.expected) / scored.spread)::numeric, 3)::double precision
    end as z_score,
    scored.expected,
    coalesce(
        scored.baseline_count >= (select sentinel.required_history('ingest', 'record', sentinel.default_window('ingest')))
        and abs(stored.cost::double precision - scored.expected)
            > (select sentinel.default_threshold('ingest')) * scored.spread,
        false
    ) as anomaly
from stored
inner join scored on stored.id = scored.id
order by stored.id
