-- Fingerprint of the seasonal detector's verdicts on day buckets per service
-- (bench/baseline_hash.py).
select md5(string_agg(
    concat_ws('|', service, bucket, cost, baseline_count, expected, spread, score, anomaly),
    e'\n' order by service, bucket
))
from sentinel.detect('seasonal', 'day', array['service'], interval '28 days', 5.0)
