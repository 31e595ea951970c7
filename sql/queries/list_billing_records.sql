-- Billing records, oldest id first, optionally filtered; read page by page through a cursor.
-- Every filter is optional (null = any). start is inclusive, end exclusive. after_id and limit
-- give keyset pagination: the next page starts after the last id seen.
-- params: service, region, account_id (text or null), start, end (timestamptz or null),
--         after_id (bigint or null), limit (bigint or null = all)
-- row: BillingRecord
select
    id,
    service,
    cost::double precision as cost,
    "timestamp",
    region,
    account_id,
    is_anomaly,
    created_at
from sentinel.billing_records
where
    (%(service)s::text is null or service = %(service)s::text)
    and (%(region)s::text is null or region = %(region)s::text)
    and (%(account_id)s::text is null or account_id = %(account_id)s::text)
    and (%(start)s::timestamptz is null or "timestamp" >= %(start)s::timestamptz)
    and (%(end)s::timestamptz is null or "timestamp" < %(end)s::timestamptz)
    and (%(after_id)s::bigint is null or id > %(after_id)s::bigint)
order by id
limit %(limit)s::bigint
