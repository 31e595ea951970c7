-- Billing records, oldest id first, optionally filtered by service and/or region.
-- params: service (text or null = any), region (text or null = any)
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
order by id
