-- The reference for /anomalies: the same rule straight from the window-function view.
select count(*) as flagged
from sentinel.record_scores
where abs(z_score) > %(threshold)s
