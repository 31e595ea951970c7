-- Bench data for the trigger cost: hours first_hour..last_hour (counted from 2024-01-01 UTC)
-- for 50 services, one record per service and hour, costs uniform around 1 to 6 dollars.
-- params: first_hour int, last_hour int
insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)
select
    'svc-' || lpad(service_number::text, 2, '0') as service,
    round(((1 + service_number / 10.0) * (0.5 + random()))::numeric, 4) as cost,
    timestamptz '2024-01-01 00:00:00+00' + hour_number * interval '1 hour' as "timestamp",
    'us-east-1' as region,
    '111111111111' as account_id
from generate_series(%(first_hour)s::int, %(last_hour)s::int) as hour_number
cross join generate_series(0, 49) as service_number
