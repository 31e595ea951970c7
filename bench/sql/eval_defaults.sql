-- The causal detectors' defaults (sentinel.detector_defaults), in the order of the methods given.
-- params: methods text[]
-- row: detector, baseline_window, threshold, recommended
select
    detector,
    baseline_window,
    threshold,
    recommended
from sentinel.detector_defaults
where detector = any (%(methods)s::text[])
order by array_position(%(methods)s::text[], detector)
