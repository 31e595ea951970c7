-- Why: the original z-score judges every record against all records of its service, later ones
-- included, so verdicts change as data arrives and a lasting jump hides itself. These detectors
-- judge each point only against the data before it (causal), per series and per bucket, and
-- explain every flag (expected value, bounds, impact in dollars).
-- depends: 0004.cost-series

-- The points a detector scores: single records, or the summed cost per series per hour or day.
-- A series is one combination of the group_by columns; a column left out of group_by is null,
-- so all its values fall into the same series. group_by holds a non-empty subset of
-- {service, account_id, region}; a fixed branch per granularity, chosen by one-time filters.
create function sentinel.cost_points(granularity text, group_by text[])
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost numeric
)
language sql
stable
as $$
    select
        rec.id as record_id,
        case when 'service' = any(cost_points.group_by) then rec.service end as service,
        case when 'account_id' = any(cost_points.group_by) then rec.account_id end as account_id,
        case when 'region' = any(cost_points.group_by) then rec.region end as region,
        rec."timestamp" as bucket,
        rec.cost
    from sentinel.billing_records as rec
    where cost_points.granularity = 'record'
    union all
    select
        null::bigint as record_id,
        rollup.service,
        null::text as account_id,
        null::text as region,
        rollup.hour as bucket,
        rollup.cost
    from sentinel.service_hourly_costs as rollup
    where cost_points.granularity = 'hour' and cost_points.group_by = array['service']
    union all
    select
        null::bigint as record_id,
        case when 'service' = any(cost_points.group_by) then rollup.service end as service,
        case when 'account_id' = any(cost_points.group_by) then rollup.account_id end as account_id,
        case when 'region' = any(cost_points.group_by) then rollup.region end as region,
        rollup.hour as bucket,
        sum(rollup.cost) as cost
    from sentinel.hourly_costs as rollup
    where cost_points.granularity = 'hour' and cost_points.group_by <> array['service']
    group by 2, 3, 4, 5
    union all
    select
        null::bigint as record_id,
        case when 'service' = any(cost_points.group_by) then rollup.service end as service,
        case when 'account_id' = any(cost_points.group_by) then rollup.account_id end as account_id,
        case when 'region' = any(cost_points.group_by) then rollup.region end as region,
        date_trunc('day', rollup.hour, 'UTC') as bucket,
        sum(rollup.cost) as cost
    from sentinel.hourly_costs as rollup
    where cost_points.granularity = 'day'
    group by 2, 3, 4, 5
$$;

comment on function sentinel.cost_points(text, text[]) is
    'Cost points per series: granularity record|hour|day, group_by a subset of {service,account_id,region}. select service, bucket, cost from sentinel.cost_points(''hour'', ''{service}'')';

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

-- method=trailing: mean and population stddev of the same series over the preceding window,
-- the current bucket excluded. Numeric moving aggregates are exact and run in linear time.
-- Hour buckets per service at the default 7-day window come precomputed from the rollup, except
-- for the services whose stored baselines are stale (sentinel.stale_baselines, until
-- sentinel.refresh_baselines() runs): those are computed in full, so the answer never depends
-- on whether a refresh has run. Both tests are init plans, computed once per call; when nothing
-- is stale the full branch is skipped without reading the rollup.
create function sentinel.trailing_baseline(granularity text, group_by text[], baseline interval)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost double precision,
    baseline_count bigint,
    expected double precision,
    spread double precision
)
language sql
stable
as $$
    select
        rollup_point.record_id,
        rollup_point.service,
        rollup_point.account_id,
        rollup_point.region,
        rollup_point.bucket,
        rollup_point.cost::double precision as cost,
        count(*) over preceding_window as baseline_count,
        (avg(rollup_point.cost) over preceding_window)::double precision as expected,
        (stddev_pop(rollup_point.cost) over preceding_window)::double precision as spread
    from sentinel.cost_points(trailing_baseline.granularity, trailing_baseline.group_by) as rollup_point
    where not (
        trailing_baseline.granularity = 'hour'
        and trailing_baseline.group_by = array['service']
        and trailing_baseline.baseline = interval '7 days'
    )
        or (
            -- A one-time filter: when nothing is stale the full branch reads nothing.
            exists (select from sentinel.stale_baselines)
            and rollup_point.service = any (
                array(select stale.service from sentinel.stale_baselines as stale)
            )
        )
    window preceding_window as (
        partition by rollup_point.service, rollup_point.account_id, rollup_point.region
        order by rollup_point.bucket
        range between trailing_baseline.baseline preceding and interval '1 microsecond' preceding
    )
    union all
    select
        null::bigint as record_id,
        stored.service,
        null::text as account_id,
        null::text as region,
        stored.hour as bucket,
        stored.cost::double precision as cost,
        stored.baseline_count,
        stored.baseline_mean as expected,
        stored.baseline_stddev as spread
    from sentinel.service_hourly_costs as stored
    where trailing_baseline.granularity = 'hour'
        and trailing_baseline.group_by = array['service']
        and trailing_baseline.baseline = interval '7 days'
        and stored.service <> all (array(select stale.service from sentinel.stale_baselines as stale))
$$;

comment on function sentinel.trailing_baseline(text, text[], interval) is
    'Each cost point with the mean (expected) and population stddev (spread) of its series over the preceding window, current point excluded.';

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

-- method=robust: median and MAD over the same trailing window (modified z-score), so earlier
-- spikes in the window neither inflate the expected value nor the spread.
create function sentinel.robust_baseline(granularity text, group_by text[], baseline interval)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost double precision,
    baseline_count bigint,
    expected double precision,
    spread double precision
)
language sql
stable
as $$
    with windowed as (
        select
            point.record_id,
            point.service,
            point.account_id,
            point.region,
            point.bucket,
            point.cost::double precision as cost,
            array_agg(point.cost::double precision) over preceding_window as peers
        from sentinel.cost_points(robust_baseline.granularity, robust_baseline.group_by) as point
        window preceding_window as (
            partition by point.service, point.account_id, point.region
            order by point.bucket
            range between robust_baseline.baseline preceding and interval '1 microsecond' preceding
        )
    )
    select
        windowed.record_id,
        windowed.service,
        windowed.account_id,
        windowed.region,
        windowed.bucket,
        windowed.cost,
        coalesce(cardinality(windowed.peers), 0)::bigint as baseline_count,
        center.median as expected,
        sentinel.robust_spread(deviation.mad, deviation.mean_deviation) as spread
    from windowed
    cross join lateral (
        select percentile_cont(0.5) within group (order by peer.value) as median
        from unnest(windowed.peers) as peer (value)
    ) as center
    cross join lateral (
        select
            percentile_cont(0.5) within group (order by abs(peer.value - center.median)) as mad,
            avg(abs(peer.value - center.median)) as mean_deviation
        from unnest(windowed.peers) as peer (value)
    ) as deviation
$$;

comment on function sentinel.robust_baseline(text, text[], interval) is
    'Each cost point with the median (expected) and robust_spread (1.4826 * MAD) of its series over the preceding window, current point excluded.';

-- method=seasonal: the expected value is a seasonal shape times the current level.
--   shape: the median, over the comparable periods of the preceding window (same hour of day on
--     the same kind of day, weekday or weekend; for day buckets the same kind of day), of each
--     peer's ratio to the mean of the 7 days before that peer, so growth and earlier level
--     shifts do not bias it and a past spike at 14:00 does not mask the next one;
--   level: the median of cost / shape over the preceding day (week, for day buckets), so the
--     baseline follows a lasting change after half that span (a level shift alerts once, at its
--     onset) while spikes and surges shorter than that do not move it;
--   spread: 1.4826 times the median absolute relative residual over the preceding 7 days (28
--     for day buckets), times expected: every hour of the week pooled gives enough peers for a
--     stable estimate, and earlier anomalies (a minority) do not inflate it.
-- baseline_count is the number of comparable periods behind the shape.
-- Hour buckets per service at the default 28-day window come precomputed from the rollup
-- (0004 keeps them with the same expressions), so the recommended call reads one row per hour
-- instead of sorting arrays of peers for every hour of the year. Services whose stored
-- baselines are stale (sentinel.stale_baselines) are computed in full instead, as in
-- sentinel.trailing_baseline.
create function sentinel.seasonal_baseline(granularity text, group_by text[], baseline interval)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost double precision,
    baseline_count bigint,
    expected double precision,
    spread double precision
)
language sql
stable
as $$
    with points as (
        select
            point.record_id,
            point.service,
            point.account_id,
            point.region,
            point.bucket,
            point.cost::double precision as cost,
            case
                when seasonal_baseline.granularity = 'day' then -1
                else extract(hour from point.bucket at time zone 'UTC')::integer
            end as hour_of_day,
            extract(isodow from point.bucket at time zone 'UTC') in (6, 7) as weekend,
            point.cost::double precision
                / nullif(avg(point.cost) over last_week, 0)::double precision as ratio
        from sentinel.cost_points(seasonal_baseline.granularity, seasonal_baseline.group_by) as point
        where not (
            seasonal_baseline.granularity = 'hour'
            and seasonal_baseline.group_by = array['service']
            and seasonal_baseline.baseline = interval '28 days'
        )
            or (
                -- A one-time filter: when nothing is stale the full branch reads nothing.
                exists (select from sentinel.stale_baselines)
                and point.service = any (
                    array(select stale.service from sentinel.stale_baselines as stale)
                )
            )
        window last_week as (
            partition by point.service, point.account_id, point.region
            order by point.bucket
            range between interval '7 days' preceding and interval '1 microsecond' preceding
        )
    ),
    comparable as (
        select
            points.record_id,
            points.service,
            points.account_id,
            points.region,
            points.bucket,
            points.cost,
            points.hour_of_day,
            points.weekend,
            array_agg(points.ratio) filter (where points.ratio is not null) over same_period as ratios
        from points
        window same_period as (
            partition by points.service, points.account_id, points.region, points.hour_of_day, points.weekend
            order by points.bucket
            range between seasonal_baseline.baseline preceding and interval '1 microsecond' preceding
        )
    ),
    shaped as (
        select
            comparable.record_id,
            comparable.service,
            comparable.account_id,
            comparable.region,
            comparable.bucket,
            comparable.cost,
            comparable.hour_of_day,
            comparable.weekend,
            coalesce(cardinality(comparable.ratios), 0)::bigint as baseline_count,
            nullif(shape.median, 0) as shape
        from comparable
        cross join lateral (
            select percentile_cont(0.5) within group (order by ratio.value) as median
            from unnest(comparable.ratios) as ratio (value)
        ) as shape
    ),
    leveled as (
        select
            shaped.record_id,
            shaped.service,
            shaped.account_id,
            shaped.region,
            shaped.bucket,
            shaped.cost,
            shaped.hour_of_day,
            shaped.weekend,
            shaped.baseline_count,
            shaped.shape,
            array_agg(shaped.cost / shaped.shape) filter (where shaped.shape is not null) over recent as levels
        from shaped
        window recent as (
            partition by shaped.service, shaped.account_id, shaped.region
            order by shaped.bucket
            range between
                case when seasonal_baseline.granularity = 'day' then interval '7 days' else interval '1 day' end
                preceding
            and interval '1 microsecond' preceding
        )
    ),
    expected as (
        select
            leveled.record_id,
            leveled.service,
            leveled.account_id,
            leveled.region,
            leveled.bucket,
            leveled.cost,
            leveled.hour_of_day,
            leveled.weekend,
            leveled.baseline_count,
            leveled.shape * level.median as expected
        from leveled
        cross join lateral (
            select percentile_cont(0.5) within group (order by recent.value) as median
            from unnest(leveled.levels) as recent (value)
        ) as level
    ),
    residuals as (
        select
            expected.record_id,
            expected.service,
            expected.account_id,
            expected.region,
            expected.bucket,
            expected.cost,
            expected.baseline_count,
            expected.expected,
            array_agg(abs(expected.cost / nullif(expected.expected, 0) - 1))
                filter (where expected.expected <> 0) over spread_window as deviations,
            array_agg(abs(expected.cost - expected.expected)) over same_period as period_deviations
        from expected
        window
            spread_window as (
                partition by expected.service, expected.account_id, expected.region
                order by expected.bucket
                range between
                    case when seasonal_baseline.granularity = 'day' then interval '28 days' else interval '7 days' end
                    preceding
                and interval '1 microsecond' preceding
            ),
            same_period as (
                partition by expected.service, expected.account_id, expected.region, expected.hour_of_day, expected.weekend
                order by expected.bucket
                range between seasonal_baseline.baseline preceding and interval '1 microsecond' preceding
            )
    )
    select
        residuals.record_id,
        residuals.service,
        residuals.account_id,
        residuals.region,
        residuals.bucket,
        residuals.cost,
        residuals.baseline_count,
        residuals.expected,
        greatest(
            abs(residuals.expected) * sentinel.robust_spread(pooled.mad, pooled.mean_deviation),
            sentinel.robust_spread(period.mad, period.mean_deviation)
        ) as spread
    from residuals
    cross join lateral (
        select
            percentile_cont(0.5) within group (order by deviation.value) as mad,
            avg(deviation.value) as mean_deviation
        from unnest(residuals.deviations) as deviation (value)
    ) as pooled
    cross join lateral (
        select
            percentile_cont(0.5) within group (order by deviation.value) as mad,
            avg(deviation.value) as mean_deviation
        from unnest(residuals.period_deviations) as deviation (value)
    ) as period
    union all
    select
        null::bigint as record_id,
        stored.service,
        null::text as account_id,
        null::text as region,
        stored.hour as bucket,
        stored.cost::double precision as cost,
        stored.seasonal_count as baseline_count,
        stored.seasonal_expected as expected,
        stored.seasonal_spread as spread
    from sentinel.service_hourly_costs as stored
    where seasonal_baseline.granularity = 'hour'
        and seasonal_baseline.group_by = array['service']
        and seasonal_baseline.baseline = interval '28 days'
        and stored.service <> all (array(select stale.service from sentinel.stale_baselines as stale))
$$;

comment on function sentinel.seasonal_baseline(text, text[], interval) is
    'Each cost point with expected = seasonal shape (median ratio of the same hour of day and kind of day in the preceding window) times level (median deseasonalized cost of the preceding day), and spread = 1.4826 * median absolute relative residual of the preceding 7 days * expected.';

-- Every point of every series with its verdict. A point is an anomaly when |score| is strictly
-- above threshold, it has at least 3 baseline points, and, when given, impact >= min_impact
-- dollars and impact_pct >= min_pct (both "above expected", combined with AND).
create function sentinel.detect(
    method text,
    granularity text,
    group_by text[],
    baseline interval,
    threshold double precision,
    min_impact double precision default null,
    min_pct double precision default null
)
returns table (
    record_id bigint,
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost double precision,
    baseline_count bigint,
    expected double precision,
    spread double precision,
    lower_bound double precision,
    upper_bound double precision,
    score double precision,
    impact double precision,
    impact_pct double precision,
    anomaly boolean,
    method text
)
language sql
stable
as $$
    with baselines as (
        select
            trailing_scores.record_id,
            trailing_scores.service,
            trailing_scores.account_id,
            trailing_scores.region,
            trailing_scores.bucket,
            trailing_scores.cost,
            trailing_scores.baseline_count,
            trailing_scores.expected,
            trailing_scores.spread
        from sentinel.trailing_baseline(detect.granularity, detect.group_by, detect.baseline) as trailing_scores
        where detect.method = 'trailing'
        union all
        select
            robust.record_id,
            robust.service,
            robust.account_id,
            robust.region,
            robust.bucket,
            robust.cost,
            robust.baseline_count,
            robust.expected,
            robust.spread
        from sentinel.robust_baseline(detect.granularity, detect.group_by, detect.baseline) as robust
        where detect.method = 'robust'
        union all
        select
            seasonal.record_id,
            seasonal.service,
            seasonal.account_id,
            seasonal.region,
            seasonal.bucket,
            seasonal.cost,
            seasonal.baseline_count,
            seasonal.expected,
            seasonal.spread
        from sentinel.seasonal_baseline(detect.granularity, detect.group_by, detect.baseline) as seasonal
        where detect.method = 'seasonal'
    ),
    scored as (
        select
            baselines.record_id,
            baselines.service,
            baselines.account_id,
            baselines.region,
            baselines.bucket,
            baselines.cost,
            baselines.baseline_count,
            baselines.expected,
            sentinel.verdict_spread(baselines.spread, baselines.expected) as spread
        from baselines
    )
    select
        scored.record_id,
        scored.service,
        scored.account_id,
        scored.region,
        scored.bucket,
        scored.cost,
        scored.baseline_count,
        scored.expected,
        scored.spread,
        scored.expected - detect.threshold * scored.spread as lower_bound,
        scored.expected + detect.threshold * scored.spread as upper_bound,
        case when scored.baseline_count >= 3 then (scored.cost - scored.expected) / scored.spread end as score,
        scored.cost - scored.expected as impact,
        100.0 * (scored.cost - scored.expected) / nullif(scored.expected, 0) as impact_pct,
        coalesce(
            scored.baseline_count >= 3
            and abs(scored.cost - scored.expected) > detect.threshold * scored.spread
            and (detect.min_impact is null or scored.cost - scored.expected >= detect.min_impact)
            and (
                detect.min_pct is null
                or 100.0 * (scored.cost - scored.expected) / nullif(scored.expected, 0) >= detect.min_pct
            ),
            false
        ) as anomaly,
        detect.method
    from scored
$$;

comment on function sentinel.detect(text, text, text[], interval, double precision, double precision, double precision) is
    'Every cost point scored by a causal detector (method trailing|robust|seasonal). select service, bucket, cost, expected, score from sentinel.detect(''trailing'', ''hour'', ''{service}'', ''7 days'', 3.0) where anomaly';

-- Consecutive flagged points of one series form one event: a lasting change alerts once.
create function sentinel.anomaly_events(
    method text,
    granularity text,
    group_by text[],
    baseline interval,
    threshold double precision,
    min_impact double precision default null,
    min_pct double precision default null
)
returns table (
    service text,
    account_id text,
    region text,
    started_at timestamptz,
    ended_at timestamptz,
    ongoing boolean,
    point_count bigint,
    peak_score double precision,
    peak_cost double precision,
    total_impact double precision,
    method text
)
language sql
stable
as $$
    with verdicts as (
        select
            scored.service,
            scored.account_id,
            scored.region,
            scored.bucket,
            scored.cost,
            scored.score,
            scored.impact,
            scored.anomaly,
            -- Gaps and islands: every point that is not flagged ends a run, so the count of
            -- such points so far is the same for all points of one run. One sort serves both
            -- windows (same partition and order).
            count(*) filter (where not scored.anomaly) over so_far as island,
            last_value(scored.bucket) over whole_series as series_last
        from sentinel.detect(
            anomaly_events.method,
            anomaly_events.granularity,
            anomaly_events.group_by,
            anomaly_events.baseline,
            anomaly_events.threshold,
            anomaly_events.min_impact,
            anomaly_events.min_pct
        ) as scored
        window
            by_time as (
                partition by scored.service, scored.account_id, scored.region
                order by scored.bucket, scored.record_id
            ),
            so_far as (by_time rows between unbounded preceding and current row),
            whole_series as (by_time rows between unbounded preceding and unbounded following)
    )
    select
        verdicts.service,
        verdicts.account_id,
        verdicts.region,
        min(verdicts.bucket) as started_at,
        max(verdicts.bucket) as ended_at,
        max(verdicts.bucket) = max(verdicts.series_last) as ongoing,
        count(*) as point_count,
        (array_agg(verdicts.score order by abs(verdicts.score) desc))[1] as peak_score,
        max(verdicts.cost) as peak_cost,
        sum(verdicts.impact) as total_impact,
        anomaly_events.method
    from verdicts
    where verdicts.anomaly
    group by verdicts.service, verdicts.account_id, verdicts.region, verdicts.island
$$;

comment on function sentinel.anomaly_events(text, text, text[], interval, double precision, double precision, double precision) is
    'Runs of consecutive flagged points per series, same parameters as sentinel.detect: start, end, ongoing (the run reaches the series'' newest point), peak score, total impact.';


-- Functions run with the caller's rights; they read only views of schema sentinel, which the
-- reader role may select.
grant execute on function
    sentinel.cost_points(text, text[]),
    sentinel.verdict_spread(double precision, double precision),
    sentinel.robust_spread(double precision, double precision),
    sentinel.trailing_baseline(text, text[], interval),
    sentinel.robust_baseline(text, text[], interval),
    sentinel.seasonal_baseline(text, text[], interval),
    sentinel.detect(text, text, text[], interval, double precision, double precision, double precision),
    sentinel.anomaly_events(text, text, text[], interval, double precision, double precision, double precision)
to sentinel_reader;
