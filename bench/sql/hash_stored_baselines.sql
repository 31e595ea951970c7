-- Fingerprint of every stored baseline (bench/baseline_hash.py).
select md5(string_agg(
    concat_ws('|', service, hour, cost, baseline_count, baseline_mean, baseline_stddev,
        seasonal_ratio, seasonal_count, seasonal_shape, seasonal_expected, seasonal_spread),
    e'\n' order by service, hour
))
from sentinel_data.service_hourly_cost
