-- The defaults of every detector, as the API documents them (GET /api/v1/billing/detectors):
-- the one home of these numbers is sentinel.detector_defaults.
-- params: none
-- row: DetectorDefaults; window in the API's syntax (7d, 36h), null for the original rule
select
    detector,
    case
        when baseline_window is null then null
        when mod(extract(epoch from baseline_window)::bigint, 86400) = 0
            then (extract(epoch from baseline_window)::bigint / 86400) || 'd'
        else (extract(epoch from baseline_window)::bigint / 3600) || 'h'
    end as "window",
    threshold,
    min_history,
    history_share,
    direction,
    min_impact,
    min_daily_pct,
    recommended
from sentinel.detector_defaults
order by detector
