-- Store one billing record and return it as stored.
-- params: service, cost, timestamp, region, account_id, is_anomaly
-- row: BillingRecord
insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id, is_anomaly)
values (%(service)s, %(cost)s, %(timestamp)s, %(region)s, %(account_id)s, %(is_anomaly)s)
returning
    id,
    service,
    cost::double precision as cost,
    "timestamp",
    region,
    account_id,
    is_anomaly,
    created_at
