-- Why: psql users get the recommended detector over the hourly cost of each service without
-- having to know the function's parameters; the REST API's ?method=seasonal answers the same rows.
-- A view cannot write, so it cannot refresh the stored baselines itself: until someone runs
-- select sentinel.refresh_baselines(); the detector computes the stale services in full (the
-- same verdicts, slower). The API refreshes before every detection query.


-- Money is rounded to 4 decimals and percents to 1, as the API answers; the verdict is the
-- unrounded one.
create view sentinel.service_hourly_scores as
select
    service,
    bucket as hour,
    cost,
    baseline_count,
    round(expected::numeric, 4) as expected,
    round(lower_bound::numeric, 4) as lower_bound,
    round(upper_bound::numeric, 4) as upper_bound,
    round(score::numeric, 3) as score,
    round(impact::numeric, 4) as impact,
    round(impact_pct::numeric, 1) as impact_pct,
    round(daily_spend::numeric, 4) as daily_spend,
    anomaly
from sentinel.detect('seasonal', 'hour', array['service']);

comment on view sentinel.service_hourly_scores is
    'Every service hour judged by the recommended detector at its defaults (sentinel.detector_defaults: window 28 days, threshold 5, increases, material ones): sentinel.detect(''seasonal'', ''hour'', ''{service}''). Services in sentinel.stale_baselines are computed in full (same verdicts, slower); select sentinel.refresh_baselines(); makes them fast again.';
comment on column sentinel.service_hourly_scores.baseline_count is
    'Hours of the same hour of day and kind of day (weekday or weekend) in the 28 days before.';
comment on column sentinel.service_hourly_scores.expected is
    'Seasonal shape of this hour (median ratio of those hours to their trailing week) times the level of the last day.';
comment on column sentinel.service_hourly_scores.lower_bound is 'expected - 5 * spread (robust, floored), not below 0.';
comment on column sentinel.service_hourly_scores.upper_bound is 'expected + 5 * spread (robust, floored).';
comment on column sentinel.service_hourly_scores.score is
    '(cost - expected) / spread; null with fewer than 3 comparable hours.';
comment on column sentinel.service_hourly_scores.daily_spend is
    'Mean daily spend of the service over the 7 days before the hour (materiality).';
comment on column sentinel.service_hourly_scores.impact is 'cost - expected, dollars.';
comment on column sentinel.service_hourly_scores.impact_pct is 'impact as percent of expected; null when expected is 0.';
comment on column sentinel.service_hourly_scores.anomaly is
    'score > 5 (an increase) and material: impact at least $0.05 and 1.5 percent of daily_spend (sentinel.detector_defaults).';

create view sentinel.service_hourly_anomalies as
select
    service,
    hour,
    cost,
    expected,
    lower_bound,
    upper_bound,
    score,
    impact,
    impact_pct
from sentinel.service_hourly_scores
where anomaly;

comment on view sentinel.service_hourly_anomalies is
    'The flagged rows of service_hourly_scores: service hours outside the recommended detector''s bounds. Run select sentinel.refresh_baselines(); after loading data to keep it fast.';

create view sentinel.service_hourly_anomaly_events as
select
    service,
    started_at,
    ended_at,
    ongoing,
    point_count,
    round(peak_score::numeric, 3) as peak_score,
    peak_cost,
    round(total_impact::numeric, 4) as total_impact
from sentinel.anomaly_events('seasonal', 'hour', array['service']);

comment on view sentinel.service_hourly_anomaly_events is
    'Runs of consecutive flagged service hours (recommended detector): one row per event, ongoing when it reaches the newest hour of all the data. Run select sentinel.refresh_baselines(); after loading data to keep it fast.';
comment on column sentinel.service_hourly_anomaly_events.total_impact is 'Sum of cost - expected over the event, dollars.';
