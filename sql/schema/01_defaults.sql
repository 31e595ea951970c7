-- Why: every default of the detectors has one home. The views, the stored fast paths (which
-- hold the baselines of the default calls), the ingest verdict, the refresh horizon and the
-- API (which passes null for what the client did not give) all read this view, so changing a
-- default here changes it everywhere; the rebuild marks the stored baselines stale.
create view sentinel.detector_defaults as
select
    detector,
    baseline_window,
    threshold,
    min_history,
    recommended
from (
    values
        -- The original Sentinel rule: one z-score per service over all its records.
        ('zscore', null::interval, 2.0::double precision, 2, false),
        ('trailing', interval '7 days', 3.0, 3, false),
        ('robust', interval '7 days', 3.5, 3, false),
        -- Its spread is a robust (MAD) estimate over a week of residuals; 5 keeps the expected
        -- false alarms on Gaussian noise below one per series-year of hours (cost residuals
        -- have heavier tails than Gaussian ones). Chosen by bench/eval_detectors.py.
        ('seasonal', interval '28 days', 5.0, 3, true),
        -- The verdict returned with every stored record: the trailing detector per service
        -- at record granularity.
        ('ingest', interval '7 days', 3.0, 3, false)
) as defaults (detector, baseline_window, threshold, min_history, recommended);

comment on view sentinel.detector_defaults is
    'The defaults of every detector: what the API, the views and the stored baselines use when no parameter is given.';
comment on column sentinel.detector_defaults.detector is
    'zscore (the original rule), trailing, robust, seasonal (method=...), ingest (the verdict at ingest).';
comment on column sentinel.detector_defaults.baseline_window is
    'How far back each point''s baseline reaches (the API''s window); null for zscore, which uses all records.';
comment on column sentinel.detector_defaults.threshold is 'A point is flagged when |score| is strictly above this.';
comment on column sentinel.detector_defaults.min_history is
    'Fewest baseline points (records for zscore) a point needs before it can be scored.';
comment on column sentinel.detector_defaults.recommended is 'The method used when a client names none.';

-- One default as a value, for the SQL that needs it inside an expression. Immutable, although
-- they read a view: the view is code, with its values written in this file, and a change of it
-- rebuilds (drops and creates) these functions too, so their results depend on nothing that
-- can change between two builds. Immutable lets the planner fold a call into a constant, so
-- that the detectors' fast-path guards and window frames plan exactly as with literals.
create function sentinel.default_window(detector text)
returns interval
language sql
immutable
as $$
    select defaults.baseline_window from sentinel.detector_defaults as defaults
    where defaults.detector = default_window.detector
$$;

create function sentinel.default_threshold(detector text)
returns double precision
language sql
immutable
as $$
    select defaults.threshold from sentinel.detector_defaults as defaults
    where defaults.detector = default_threshold.detector
$$;

create function sentinel.default_min_history(detector text)
returns integer
language sql
immutable
as $$
    select defaults.min_history from sentinel.detector_defaults as defaults
    where defaults.detector = default_min_history.detector
$$;

create function sentinel.recommended_method()
returns text
language sql
immutable
as $$
    select defaults.detector from sentinel.detector_defaults as defaults where defaults.recommended
$$;

comment on function sentinel.recommended_method() is 'The method used when a client names none (seasonal).';
comment on function sentinel.default_window(text) is 'sentinel.detector_defaults.baseline_window of one detector.';
comment on function sentinel.default_threshold(text) is 'sentinel.detector_defaults.threshold of one detector.';
comment on function sentinel.default_min_history(text) is 'sentinel.detector_defaults.min_history of one detector.';

-- How far past the last changed hour a change can move a stored baseline: a cost moves the
-- ratios for a trailing window (the seasonal ratio is cost over the trailing mean), they move
-- the shapes for a seasonal window, the shapes the levels for one more day, and an expected
-- value the same-hour spreads for another seasonal window (the pooled spreads of the 7 whole
-- days after its own stay within that): 7 + 28 + 1 + 28 = 64 days at the defaults.
create function sentinel_internal.refresh_horizon()
returns interval
language sql
immutable
as $$
    select sentinel.default_window('trailing') + interval '1 day' + 2 * sentinel.default_window('seasonal')
$$;
