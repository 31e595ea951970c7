-- Why: the robust estimates the detectors share, each written once: the floor every verdict's
-- spread gets, the MAD-based spread of the median methods, and the seasonal spread, so that the
-- full computation and the stored baselines (09_refresh.sql) agree bit for bit.

-- Shared by all methods: a scored point becomes a verdict. The spread is floored at 1 percent of
-- the expected value (and at one cent) so that a perfectly flat series still alerts when it
-- jumps, while a change of a fraction of a cent on a flat series does not score infinity.
create function sentinel.verdict_spread(spread double precision, expected double precision)
returns double precision
language sql
immutable
parallel safe
as $$
    select greatest(spread, 0.01 * abs(expected), 0.01)
$$;

comment on function sentinel.verdict_spread(double precision, double precision) is
    'The spread a detector divides by: greatest(spread, 1 percent of |expected|, 0.01).';
-- A direction as the sign of the changes it counts: up 1, down -1, both 0 (either).
create function sentinel.direction_sign(direction text)
returns double precision
language sql
immutable
parallel safe
as $$
    select case direction_sign.direction when 'up' then 1 when 'down' then -1 else 0 end::double precision
$$;

comment on function sentinel.direction_sign(text) is
    'The sign of the changes a direction counts: up 1, down -1, both 0.';
-- Shared by all methods, for materiality: a series' typical daily spend before a point is what
-- its trailing window held (mean times count: the sum of the buckets present), per day of that
-- window. Hours or days without records count as zero spend, as they cost nothing.
create function sentinel.daily_spend(mean double precision, point_count bigint, baseline interval)
returns double precision
language sql
immutable
parallel safe
as $$
    select daily_spend.mean * daily_spend.point_count / (extract(epoch from daily_spend.baseline) / 86400)
$$;

comment on function sentinel.daily_spend(double precision, bigint, interval) is
    'A series'' mean daily spend over a trailing window: mean * count of the window''s points / its length in days.';
-- The spread of the median-based methods: 1.4826 * MAD, which makes the score comparable with
-- a z-score on normal data. When more than half of the peers are equal (steady charges) the MAD
-- is 0; then 1.2533 * the mean absolute deviation from the median takes its place (the usual
-- fallback of the modified z-score), so one earlier different value does not make every small
-- change look infinitely significant.
create function sentinel.robust_spread(mad double precision, mean_deviation double precision)
returns double precision
language sql
immutable
parallel safe
as $$
    select case when robust_spread.mad > 0 then 1.4826 * robust_spread.mad else 1.2533 * robust_spread.mean_deviation end
$$;

comment on function sentinel.robust_spread(double precision, double precision) is
    'Spread of the median-based detectors: 1.4826 * MAD, or 1.2533 * mean absolute deviation when MAD is 0.';
-- Concatenates arrays in the order of its input (array_agg of arrays needs equal lengths): a
-- week's residuals from those of its days.
create aggregate sentinel.array_cat_agg(double precision[]) (
    sfunc = array_cat,
    stype = double precision[],
    initcond = '{}'
);

comment on aggregate sentinel.array_cat_agg(double precision[]) is
    'The concatenation of its input arrays, in input order (a window''s frame order); {} for no rows.';

-- The median and the mean of absolute deviations held in an array, the two inputs of
-- sentinel.robust_spread; read by the full computation and by the bulk refresh alike.
create function sentinel.robust_deviation(deviations double precision[])
returns table (mad double precision, mean_deviation double precision)
language sql
immutable
parallel safe
as $$
    select
        percentile_cont(0.5) within group (order by deviation.value) as mad,
        avg(deviation.value) as mean_deviation
    from unnest(robust_deviation.deviations) as deviation (value)
$$;

comment on function sentinel.robust_deviation(double precision[]) is
    'Median (mad) and mean (mean_deviation) of an array of absolute deviations; null for an empty or null array.';

-- The seasonal detector's spread from its three robust estimates, one expression for the full
-- computation and both plans of the refresh, so that stored and computed spreads agree.
create function sentinel.seasonal_spread(
    expected double precision,
    mad double precision,
    mean_deviation double precision,
    root_mad double precision,
    root_mean_deviation double precision,
    period_mad double precision,
    period_mean_deviation double precision
)
returns double precision
language sql
immutable
parallel safe
as $$
    select greatest(
        abs(seasonal_spread.expected)
            * sentinel.robust_spread(seasonal_spread.mad, seasonal_spread.mean_deviation),
        sentinel.robust_spread(seasonal_spread.period_mad, seasonal_spread.period_mean_deviation),
        sqrt(abs(seasonal_spread.expected))
            * sentinel.robust_spread(seasonal_spread.root_mad, seasonal_spread.root_mean_deviation)
    )
$$;

comment on function sentinel.seasonal_spread(
    double precision, double precision, double precision, double precision, double precision,
    double precision, double precision
) is
    'greatest(|expected| * robust_spread(mad, mean_deviation), robust_spread(period_mad, period_mean_deviation), sqrt(|expected|) * robust_spread(root_mad, root_mean_deviation)).';
