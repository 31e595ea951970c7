-- Records whose per-service z-score is strictly above threshold in absolute value, largest first.
-- The rule itself lives in the function sentinel.anomalies (sql/schema/02_records.sql), shared
-- with psql users; no threshold: its default (sentinel.detector_defaults, zscore).
-- params: threshold (>= 0, or null)
-- row: Anomaly
select
    id,
    service,
    cost::double precision as cost,
    "timestamp",
    region,
    account_id,
    round(z_score::numeric, 3)::double precision as z_score
from sentinel.anomalies(coalesce(%(threshold)s::double precision, sentinel.default_threshold('zscore')))
order by abs(z_score) desc, id
