-- Store many billing records in one statement (all or nothing) and return them as stored.
-- Identity values are handed out in the order of the input arrays, so ordering the returned
-- rows by id gives the input order back.
-- params: services text[], costs float8[], timestamps timestamptz[], regions text[],
--         account_ids text[], is_anomalies boolean[] (equal lengths, one element per record)
-- row: BillingRecord
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
        cost::double precision as cost,
        "timestamp",
        region,
        account_id,
        is_anomaly,
        created_at
)
select
    id,
    service,
    cost,
    "timestamp",
    region,
    account_id,
    is_anomaly,
    created_at
from stored
order by id
