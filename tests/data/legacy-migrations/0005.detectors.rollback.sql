-- Why: undo 0005; the cost series and rollups of 0004 stay.
drop function sentinel.anomaly_events(text, text, text[], interval, double precision, double precision, double precision);
drop function sentinel.detect(text, text, text[], interval, double precision, double precision, double precision);
drop function sentinel.seasonal_baseline(text, text[], interval);
drop function sentinel.robust_baseline(text, text[], interval);
drop function sentinel.trailing_baseline(text, text[], interval);
drop function sentinel.robust_spread(double precision, double precision);
drop function sentinel.verdict_spread(double precision, double precision);
drop function sentinel.cost_points(text, text[]);
