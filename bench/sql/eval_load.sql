-- Load one labelled series as the cost of one service (one record per point).
-- params: service text, costs float8[], timestamps timestamptz[]
insert into sentinel_data.billing_record (service, cost, "timestamp", region, account_id)
select
    %(service)s::text as service,
    point.cost,
    point."timestamp",
    'eval' as region,
    'eval' as account_id
from unnest(%(costs)s::double precision[], %(timestamps)s::timestamptz[]) as point (cost, "timestamp")
