-- Every point of every series with its verdict from one causal detector at its defaults: every
-- parameter after group_by is left out (null), as the API leaves out what a client does not
-- give, so the evaluation follows sentinel.detector_defaults (direction, floors, history).
-- params: method, granularity
-- row: service, bucket, anomaly
select
    service,
    bucket,
    anomaly
from sentinel.detect(
    %(method)s::text,
    %(granularity)s::text,
    array['service']
)
order by service, bucket
