-- Bench data for many flagged records: count records over 50 services with log-normal costs
-- (exp of a normal with sigma 1.33, Box-Muller), the long right tail of real charges, for which
-- the original rule at its default threshold 2 flags about 2.7 percent; spread over 2025 as
-- fill_billing_records.sql.
insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)
select
    'svc' || mod(g, 50) as service,
    round(exp(0.5 + 1.33 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::numeric, 4)
        as cost,
    timestamptz '2025-01-01 00:00:00+00'
        + (g::double precision / %(count)s::bigint) * interval '365 days' as "timestamp",
    'region-' || mod(g, 4) as region,
    'acct-' || mod(g, 3) as account_id
from generate_series(1, %(count)s::bigint) as g
