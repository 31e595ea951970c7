-- Records whose per-service z-score is strictly above threshold in absolute value, largest first.
-- The rule itself lives in the function sentinel.anomalies (migration 0002), shared with psql users.
-- params: threshold (>= 0)
-- row: Anomaly
select
    id,
    service,
    cost::double precision as cost,
    "timestamp",
    region,
    account_id,
    round(z_score::numeric, 3)::double precision as z_score
from sentinel.anomalies(%(threshold)s::double precision)
order by abs(z_score) desc, id
