-- Marks every service's stored baselines stale, so that the detector functions compute them in
-- full (bench/baseline_hash.py).
insert into sentinel_data.baseline_dirty (service, first_hour, last_hour)
select service, min(hour), max(hour)
from sentinel_data.service_hourly_cost
group by service
on conflict (service) do update
    set first_hour = excluded.first_hour, last_hour = excluded.last_hour
