-- Bench data: count records over 50 services, normally distributed costs around 10
-- (Box-Muller), spread evenly over one year (2025), four regions and three accounts.
insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)
select
    'svc' || mod(g, 50) as service,
    round((10 + 2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::numeric, 4) as cost,
    timestamptz '2025-01-01 00:00:00+00'
        + (g::double precision / %(count)s::bigint) * interval '365 days' as "timestamp",
    'region-' || mod(g, 4) as region,
    'acct-' || mod(g, 3) as account_id
from generate_series(1, %(count)s::bigint) as g
