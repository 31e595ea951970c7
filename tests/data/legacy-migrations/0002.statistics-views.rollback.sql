-- Why: undo 0002; the stored records stay.
drop view sentinel.anomalies;
drop function sentinel.anomalies(double precision);
drop view sentinel.record_scores;
drop view sentinel.cost_summary;
drop view sentinel.service_stats;
drop view sentinel.billing_records;
drop schema sentinel;
