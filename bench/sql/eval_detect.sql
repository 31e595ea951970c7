-- Every point of every series with its verdict from one causal detector at its defaults.
-- params: method, granularity, window interval, threshold
-- row: service, bucket, anomaly
select
    service,
    bucket,
    anomaly
from sentinel.detect(
    %(method)s::text,
    %(granularity)s::text,
    array['service'],
    %(window)s::interval,
    %(threshold)s::double precision
)
order by service, bucket
