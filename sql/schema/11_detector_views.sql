-- Why: psql users get the recommended detector over the hourly cost of each service without
-- having to know the function's parameters; the REST API's ?method=seasonal answers the same rows.
-- A view cannot write, so it cannot refresh the stored baselines itself: until someone runs
-- select sentinel.refresh_baselines(); the detector computes the stale services in full (the
-- same verdicts, slower). The API refreshes before every detection query.


create view sentinel.service_hourly_scores as
select
    service,
    bucket as hour,
    cost,
    baseline_count,
    expected,
    lower_bound,
    upper_bound,
    score,
    impact,
    impact_pct,
    anomaly
from sentinel.detect('seasonal', 'hour', array['service']);

comment on view sentinel.service_hourly_scores is
    'Every service hour judged by the recommended detector at its defaults (sentinel.detector_defaults: window 28 days, threshold 5): sentinel.detect(''seasonal'', ''hour'', ''{service}''). Services in sentinel.stale_baselines are computed in full (same verdicts, slower); select sentinel.refresh_baselines(); makes them fast again.';
comment on column sentinel.service_hourly_scores.baseline_count is
    'Hours of the same hour of day and kind of day (weekday or weekend) in the 28 days before.';
comment on column sentinel.service_hourly_scores.expected is
    'Seasonal shape of this hour (median ratio of those hours to their trailing week) times the level of the last day.';
comment on column sentinel.service_hourly_scores.lower_bound is 'expected - 5 * spread (robust, floored).';
comment on column sentinel.service_hourly_scores.upper_bound is 'expected + 5 * spread (robust, floored).';
comment on column sentinel.service_hourly_scores.score is
    '(cost - expected) / spread; null with fewer than 3 comparable hours.';
comment on column sentinel.service_hourly_scores.impact is 'cost - expected, dollars.';
comment on column sentinel.service_hourly_scores.impact_pct is 'impact as percent of expected; null when expected is 0.';
comment on column sentinel.service_hourly_scores.anomaly is '|score| > 5.';

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
    peak_score,
    peak_cost,
    total_impact
from sentinel.anomaly_events('seasonal', 'hour', array['service']);

comment on view sentinel.service_hourly_anomaly_events is
    'Runs of consecutive flagged service hours (recommended detector): one row per event, ongoing when it reaches the newest hour of all the data. Run select sentinel.refresh_baselines(); after loading data to keep it fast.';
comment on column sentinel.service_hourly_anomaly_events.total_impact is 'Sum of cost - expected over the event, dollars.';
