-- Every record with its |z| under the original rule (all records of the service, no causality).
-- params: none
-- row: service, bucket, abs_z (null when the rule cannot score)
select
    service,
    "timestamp" as bucket,
    abs(z_score) as abs_z
from sentinel.record_scores
order by service, "timestamp", id
