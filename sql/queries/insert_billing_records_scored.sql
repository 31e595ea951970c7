-- Store billing records (all or nothing) and return each with its causal verdict: the trailing
-- detector at record granularity per service (mean and population stddev of the same service's
-- usage records in the window before it, earlier records of the same batch included), at the
-- ingest defaults of sentinel.detector_defaults (7 days, threshold 3, 3 earlier records): the
-- same numbers as sentinel.detect('trailing', 'record', '{service}', '7 days', 3.0).
-- Only the records within that window before the batch's own time span are read.
-- It repeats the window of sentinel_internal.trailing_points (06_trailing.sql) in one statement:
-- a statement does not see the rows it inserts, and judging them by a second statement through
-- trailing_points cost 45 percent more than plain ingest against 10 percent this way (bench_detection.py
-- --ingest-only, same run); the tests hold both to the same numbers. Tried again (2026-12-04,
-- branch stages, commit 52fc4b7): a record-span scope of scoped_points, insert_billing_records,
-- then one trailing_points call per service of the batch with JIT off for the transaction, cost
-- +39 to +51 percent over plain ingest against +12 to +23 percent for this statement (+155
-- percent with JIT on: the stage's row estimates cross jit_above_cost). JIT off does not help
-- this statement measurably (+12 and +23 percent with it off, +17 and +21 with it on).
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
span as (
    select
        service,
        min("timestamp") - sentinel.default_window('ingest') as since,
        max("timestamp") as until
    from stored
    group by service
),
-- The statement's snapshot does not see the rows it inserts, so earlier records are read from
-- the table and the new ones added from "stored", by a range scan of the (service, timestamp)
-- index per service: as a join, the planner, misled by the row estimates of a table that grows
-- faster than autovacuum analyzes it, scanned the whole table once per batch.
context as (
    select
        earlier.id,
        earlier.service,
        earlier.cost,
        earlier."timestamp"
    from span
    cross join lateral (
        select
            rec.id,
            rec.service,
            rec.cost,
            rec."timestamp"
        from sentinel_data.billing_record as rec
        where rec.service = span.service
            and rec."timestamp" >= span.since
            and rec."timestamp" < span.until
            -- Detectors judge usage (migration 0012); records sent through the API are all usage.
            and rec.charge_type = 'usage'
        -- Not flattened into a join: one index range scan per service.
        offset 0
    ) as earlier
    union all
    select
        stored.id,
        stored.service,
        stored.cost,
        stored."timestamp"
    from stored
),
baseline as (
    select
        context.id,
        count(*) over preceding_week as baseline_count,
        (avg(context.cost) over preceding_week)::double precision as expected,
        (stddev_pop(context.cost) over preceding_week)::double precision as stddev
    from context
    window preceding_week as (
        partition by context.service
        order by context."timestamp"
        range between sentinel.default_window('ingest') preceding and interval '1 microsecond' preceding
    )
),
scored as (
    select
        baseline.id,
        baseline.baseline_count,
        baseline.expected,
        sentinel.verdict_spread(baseline.stddev, baseline.expected) as spread
    from baseline
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
