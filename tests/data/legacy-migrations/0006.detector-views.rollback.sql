-- Why: undo 0006; the detector functions of 0005 stay.
drop view sentinel.service_hourly_anomaly_events;
drop view sentinel.service_hourly_anomalies;
drop view sentinel.service_hourly_scores;
