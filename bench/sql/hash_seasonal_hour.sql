-- Fingerprint of the seasonal detector's verdicts at its defaults, hour buckets per service
-- (bench/baseline_hash.py).
select md5(string_agg(
    concat_ws('|', service, bucket, cost, baseline_count, expected, spread, score, anomaly),
    e'\n' order by service, bucket
))
from sentinel.detect('seasonal', 'hour', array['service'], interval '28 days', 5.0)
