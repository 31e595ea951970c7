-- After a code build: every stored baseline derives from the code just replaced, so every
-- service's hours are marked stale. The detectors compute stale services in full (the same
-- verdicts the new code gives) until sentinel.refresh_baselines() has recomputed them.
insert into sentinel_data.baseline_dirty (service, first_hour, last_hour)
select
    service,
    min(hour) as first_hour,
    max(hour) as last_hour
from sentinel_data.service_hourly_cost
group by service
on conflict (service) do update
    set first_hour = least(baseline_dirty.first_hour, excluded.first_hour),
        last_hour = greatest(baseline_dirty.last_hour, excluded.last_hour)
