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
    history_share,
    direction,
    min_impact,
    min_daily_pct,
    recommended
from (
    values
        -- The original Sentinel rule: one z-score per service over all its records, both
        -- directions, no floor: its contract is unchanged.
        ('zscore', null::interval, 2.0::double precision, 2, null::double precision, null::text,
            null::double precision, null::double precision, false),
        -- trailing and robust need half their window of history: with less, a mean or median
        -- of a few hours of one day flags the next day's rhythm (13-35 false alarms per
        -- series in its first two weeks, bench/RESULTS.md).
        -- Materiality: $0.05 and 1.5 percent of the series' daily spend, the largest floors
        -- that keep every generated family's first-bucket detection in bench/eval_detectors.py
        -- (its smallest services cost $0.15 an hour; $0.10 or 2 percent lose 4 percent of
        -- the shift onsets' first hours), and that quiet the flicker of a $100-a-day service
        -- at a few dollars an hour on the CUR months (bench/RESULTS.md).
        ('trailing', interval '7 days', 3.0, 3, 0.5, 'up', 0.05, 1.5, false),
        ('robust', interval '7 days', 3.5, 3, 0.5, 'up', 0.05, 1.5, false),
        -- Its spread is a robust (MAD) estimate over a week of residuals; 5 keeps the expected
        -- false alarms on Gaussian noise below one per series-year of hours (cost residuals
        -- have heavier tails than Gaussian ones). Chosen by bench/eval_detectors.py. Its
        -- history is counted in comparable periods (the same hour on the same kind of day).
        ('seasonal', interval '28 days', 5.0, 3, null, 'up', 0.05, 1.5, true),
        -- The verdict returned with every stored record: the trailing detector per service
        -- at record granularity with the history it needs, both directions and no floor (a
        -- verdict on each record, not an alert).
        ('ingest', interval '7 days', 3.0, 3, 0.5, null, null, null, false)
) as defaults (
    detector, baseline_window, threshold, min_history, history_share, direction, min_impact,
    min_daily_pct, recommended
);

comment on view sentinel.detector_defaults is
    'The defaults of every detector: what the API, the views and the stored baselines use when no parameter is given.';
comment on column sentinel.detector_defaults.detector is
    'zscore (the original rule), trailing, robust, seasonal (method=...), ingest (the verdict at ingest).';
comment on column sentinel.detector_defaults.baseline_window is
    'How far back each point''s baseline reaches (the API''s window); null for zscore, which uses all records.';
comment on column sentinel.detector_defaults.threshold is 'A point is flagged when |score| is strictly above this.';
comment on column sentinel.detector_defaults.min_history is
    'Fewest baseline points (records for zscore, comparable periods for seasonal) a point needs before it can be scored.';
comment on column sentinel.detector_defaults.history_share is
    'trailing and robust: the share of the window''s buckets (hours; days for day buckets and, as if daily, for records) a point needs behind it before it can be scored.';
comment on column sentinel.detector_defaults.direction is
    'Which changes are flagged when a call names none: up (increases), down, both; null: both, as the original rule.';
comment on column sentinel.detector_defaults.min_impact is
    'Materiality floor in dollars: a flagged point''s impact in its direction is at least this (per bucket).';
comment on column sentinel.detector_defaults.min_daily_pct is
    'Materiality against the series: a flagged point''s impact is at least this percent of the series'' typical daily spend (the mean daily spend of the trailing window before it).';
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

create function sentinel.default_direction(detector text)
returns text
language sql
immutable
as $$
    select defaults.direction from sentinel.detector_defaults as defaults
    where defaults.detector = default_direction.detector
$$;

create function sentinel.default_min_impact(detector text)
returns double precision
language sql
immutable
as $$
    select defaults.min_impact from sentinel.detector_defaults as defaults
    where defaults.detector = default_min_impact.detector
$$;

create function sentinel.default_min_daily_pct(detector text)
returns double precision
language sql
immutable
as $$
    select defaults.min_daily_pct from sentinel.detector_defaults as defaults
    where defaults.detector = default_min_daily_pct.detector
$$;

-- The baseline points a point needs before it is scored: the detector's min_history, and for
-- trailing and robust also history_share of the buckets its window holds (hours; days for day
-- buckets and for records, which may come daily).
create function sentinel.required_history(detector text, granularity text, baseline interval)
returns bigint
language sql
immutable
as $$
    select greatest(
        defaults.min_history,
        ceil(
            defaults.history_share * extract(epoch from required_history.baseline)
            / case required_history.granularity when 'hour' then 3600 else 86400 end
        )
    )::bigint
    from sentinel.detector_defaults as defaults
    where defaults.detector = required_history.detector
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
comment on function sentinel.default_direction(text) is 'sentinel.detector_defaults.direction of one detector.';
comment on function sentinel.default_min_impact(text) is 'sentinel.detector_defaults.min_impact of one detector.';
comment on function sentinel.default_min_daily_pct(text) is 'sentinel.detector_defaults.min_daily_pct of one detector.';
comment on function sentinel.required_history(text, text, interval) is
    'The baseline points a point needs before it is scored: min_history, and for trailing and robust history_share of the window''s buckets (hours, or days for day and record granularity).';

-- How far back the seasonal detector's usual level looks (sentinel_internal.seasonal_levels):
-- the day levels of the same hour on each of the 7 days before, so that a surge of up to a day
-- moves at most one or two of the seven.
create function sentinel_internal.usual_level_span()
returns interval
language sql
immutable
as $$
    select interval '7 days'
$$;

comment on function sentinel_internal.usual_level_span() is
    'How far back the seasonal usual level reads the day levels of the same hour (7 days).';

-- How far past the last changed hour a change can move a stored baseline: a cost moves the
-- ratios for a trailing window (the seasonal ratio is cost over the trailing mean), they move
-- the shapes for a seasonal window, the shapes the day levels for one more day and the usual
-- levels for a usual_level_span after that, and an expected value the same-hour spreads for
-- another seasonal window (the pooled spreads of the 7 whole days after its own stay within
-- that): 7 + 28 + 1 + 7 + 28 = 71 days at the defaults.
create function sentinel_internal.refresh_horizon()
returns interval
language sql
immutable
as $$
    select sentinel.default_window('trailing') + interval '1 day' + sentinel_internal.usual_level_span()
        + 2 * sentinel.default_window('seasonal')
$$;
