-- One billing record by id (no row when it does not exist).
-- params: id
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
where id = %(id)s
