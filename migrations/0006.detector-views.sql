-- Why: psql users get the recommended detector (trailing: mean and stddev of the service's 7 days
-- before each hour, |score| > 3; it scored best of the three in bench/RESULTS.md) over the hourly cost of each service without having to
-- know the function parameters; the REST API's ?method=trailing answers the same rows.
-- depends: 0005.detectors

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
from sentinel.detect('trailing', 'hour', array['service'], interval '7 days', 3.0);

comment on view sentinel.service_hourly_scores is
    'Every service hour judged by the recommended detector: sentinel.detect(''trailing'', ''hour'', ''{service}'', ''7 days'', 3.0).';
comment on column sentinel.service_hourly_scores.baseline_count is
    'Hours of the service in the 7 days before (this hour excluded).';
comment on column sentinel.service_hourly_scores.expected is 'Mean cost of those hours.';
comment on column sentinel.service_hourly_scores.lower_bound is 'expected - 3 * spread (population stddev, floored).';
comment on column sentinel.service_hourly_scores.upper_bound is 'expected + 3 * spread (population stddev, floored).';
comment on column sentinel.service_hourly_scores.score is
    '(cost - expected) / spread; null with fewer than 3 earlier hours.';
comment on column sentinel.service_hourly_scores.impact is 'cost - expected, dollars.';
comment on column sentinel.service_hourly_scores.impact_pct is 'impact as percent of expected; null when expected is 0.';
comment on column sentinel.service_hourly_scores.anomaly is '|score| > 3.';

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
    'The flagged rows of service_hourly_scores: service hours outside the recommended detector''s bounds.';

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
from sentinel.anomaly_events('trailing', 'hour', array['service'], interval '7 days', 3.0);

comment on view sentinel.service_hourly_anomaly_events is
    'Runs of consecutive flagged service hours (recommended detector): one row per event, ongoing when it reaches the newest hour.';
comment on column sentinel.service_hourly_anomaly_events.total_impact is 'Sum of cost - expected over the event, dollars.';
