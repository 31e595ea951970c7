-- Every series as the detectors see it: usage summed per service and bucket (the costs of
-- sentinel.detect at the recommended method), for the peers and the labels of an imported case.
-- params: granularity
-- row: service, bucket, cost
select
    service,
    bucket,
    cost
from sentinel.detect(sentinel.recommended_method(), %(granularity)s::text, array['service'])
order by service, bucket
