-- Why: one entry point for every causal detector (sentinel.detect) and its events, so that the
-- API, the views and psql users get the same verdicts from the same parameters.

-- Each point with its method's baseline (count, expected, spread): the one branch of the
-- method chosen, by one-time filters once its arguments are constants (then the planner keeps
-- that branch alone, and the stored baselines' fast paths inside it). baseline is the window,
-- resolved by the caller.
create function sentinel_internal.method_baselines(
    method text,
    granularity text,
    group_by text[],
    baseline interval,
    tags jsonb,
    services text[]
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
    daily_spend double precision
)
language sql
stable
as $$
    select
        trailing_scores.record_id,
        trailing_scores.service,
        trailing_scores.account_id,
        trailing_scores.region,
        trailing_scores.bucket,
        trailing_scores.cost,
        trailing_scores.baseline_count,
        trailing_scores.expected,
        trailing_scores.spread,
        trailing_scores.daily_spend
    from sentinel.trailing_baseline(method_baselines.granularity, method_baselines.group_by, 
        method_baselines.baseline
    ) as trailing_scores
    where method_baselines.method = 'trailing' and method_baselines.tags is null
    union all
    -- Tagged points are computed in full from the stages: the stored baselines of the
    -- default calls are those of all records.
    select
        tagged_trailing.record_id,
        tagged_trailing.service,
        tagged_trailing.account_id,
        tagged_trailing.region,
        tagged_trailing.bucket,
        tagged_trailing.cost,
        tagged_trailing.baseline_count,
        tagged_trailing.expected,
        tagged_trailing.spread,
        sentinel.daily_spend(tagged_trailing.expected, tagged_trailing.baseline_count, method_baselines.baseline)
            as daily_spend
    from sentinel_internal.trailing_points(
        method_baselines.granularity,
        method_baselines.group_by,
        method_baselines.baseline,
        method_baselines.baseline,
        false,
        method_baselines.services,
        null,
        null,
        method_baselines.tags
    ) as tagged_trailing
    where method_baselines.method = 'trailing' and method_baselines.tags is not null
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
        robust.spread,
        robust.daily_spend
    from sentinel.robust_baseline(method_baselines.granularity, method_baselines.group_by, 
        method_baselines.baseline,
        method_baselines.tags
    ) as robust
    where method_baselines.method = 'robust'
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
        seasonal.spread,
        seasonal.daily_spend
    from sentinel.seasonal_baseline(method_baselines.granularity, method_baselines.group_by, 
        method_baselines.baseline
    ) as seasonal
    where method_baselines.method = 'seasonal' and method_baselines.tags is null
    union all
    select
        tagged_seasonal.record_id,
        tagged_seasonal.service,
        tagged_seasonal.account_id,
        tagged_seasonal.region,
        tagged_seasonal.bucket,
        tagged_seasonal.cost,
        tagged_seasonal.baseline_count,
        tagged_seasonal.expected,
        tagged_seasonal.spread,
        sentinel.daily_spend(
            tagged_seasonal.trailing_mean, tagged_seasonal.trailing_count, sentinel.default_window('trailing')
        ) as daily_spend
    from sentinel_internal.seasonal_points(
        method_baselines.granularity,
        method_baselines.group_by,
        method_baselines.baseline,
        false,
        method_baselines.services,
        null,
        null,
        method_baselines.tags
    ) as tagged_seasonal
    where method_baselines.method = 'seasonal' and method_baselines.tags is not null
$$;

comment on function sentinel_internal.method_baselines(text, text, text[], interval, jsonb, text[]) is
    'The baseline of each point for one method (the detectors'' stage behind sentinel.detect): count, expected, spread and the series'' daily spend; tags and services as in sentinel.detect.';

-- Every point of every series with its verdict. A point is an anomaly when it is strictly more
-- than threshold spreads from expected in the direction (up by default: a bill hurts when it
-- rises), it has the history its method needs (sentinel.required_history), and its impact in
-- that direction is material: at least min_impact dollars, at least min_pct percent of
-- expected, and at least min_daily_pct percent of the series' typical daily spend (combined with
-- AND). A parameter left null takes the method's default (sentinel.detector_defaults); 0 turns a
-- floor off.
create function sentinel.detect(
    method text,
    granularity text,
    group_by text[],
    baseline interval default null,
    threshold double precision default null,
    min_impact double precision default null,
    min_pct double precision default null,
    -- up, down or both.
    direction text default null,
    -- {key: [value, ...]}: only the records whose tags match (sentinel.tags_match); null: all.
    tags jsonb default null,
    -- Only the series of these services (and those without a service); null: all. Computed at
    -- the source for tagged points, which no stored baseline holds, so that a monitor of a tag
    -- evaluates the services new data touched rather than every series.
    services text[] default null,
    min_daily_pct double precision default null
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
    method text,
    daily_spend double precision
)
language sql
stable
as $$
    with baselines as (
        select
            baseline.record_id,
            baseline.service,
            baseline.account_id,
            baseline.region,
            baseline.bucket,
            baseline.cost,
            baseline.baseline_count,
            baseline.expected,
            baseline.spread,
            baseline.daily_spend
        from sentinel_internal.method_baselines(
            detect.method,
            detect.granularity,
            detect.group_by,
            coalesce(detect.baseline, sentinel.default_window(detect.method)),
            detect.tags,
            detect.services
        ) as baseline
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
            sentinel.verdict_spread(baselines.spread, baselines.expected) as spread,
            baselines.daily_spend,
            baselines.baseline_count >= (
                select sentinel.required_history(
                    detect.method,
                    detect.granularity,
                    coalesce(detect.baseline, sentinel.default_window(detect.method))
                )
            ) as enough_history,
            -- The change in the direction asked for: up, the increase; down, the decrease;
            -- both, either. The direction becomes a sign once per call, so that each point
            -- pays a multiplication, not a comparison of strings.
            case (select sentinel.direction_sign(coalesce(detect.direction, sentinel.default_direction(detect.method))))
                when 0 then abs(baselines.cost - baselines.expected)
                else (select sentinel.direction_sign(coalesce(detect.direction, sentinel.default_direction(detect.method))))
                    * (baselines.cost - baselines.expected)
            end as change
        from baselines
        where detect.services is null
            or baselines.service is null
            or baselines.service = any (detect.services)
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
        -- Usage cannot cost less than nothing: the band stops at zero for a series that is
        -- expected to cost something.
        case
            when scored.expected >= 0 then greatest(
                scored.expected - (select coalesce(detect.threshold, sentinel.default_threshold(detect.method))) * scored.spread,
                0
            )
            else scored.expected - (select coalesce(detect.threshold, sentinel.default_threshold(detect.method))) * scored.spread
        end as lower_bound,
        scored.expected + (select coalesce(detect.threshold, sentinel.default_threshold(detect.method))) * scored.spread as upper_bound,
        case when scored.enough_history then (scored.cost - scored.expected) / scored.spread end as score,
        scored.cost - scored.expected as impact,
        100.0 * (scored.cost - scored.expected) / nullif(scored.expected, 0) as impact_pct,
        coalesce(
            scored.enough_history
            and scored.change > (select coalesce(detect.threshold, sentinel.default_threshold(detect.method))) * scored.spread
            and scored.change >= (select coalesce(detect.min_impact, sentinel.default_min_impact(detect.method), 0))
            and (
                (select coalesce(detect.min_pct, 0)) = 0
                or 100.0 * scored.change / nullif(scored.expected, 0) >= detect.min_pct
            )
            and 100.0 * scored.change >= (
                select coalesce(detect.min_daily_pct, sentinel.default_min_daily_pct(detect.method), 0)
            ) * coalesce(scored.daily_spend, 0),
            false
        ) as anomaly,
        detect.method,
        scored.daily_spend
    from scored
$$;

comment on function sentinel.detect(text, text, text[], interval, double precision, double precision, double precision, text, jsonb, text[], double precision) is
    'Every cost point scored by a causal detector (method trailing|robust|seasonal), increases only unless direction says down or both, material ones only (min_impact dollars, min_daily_pct of the series'' daily_spend; defaults in sentinel.detector_defaults, 0 turns a floor off). select service, bucket, cost, expected, score from sentinel.detect(''trailing'', ''hour'', ''{service}'', ''7 days'', 3.0) where anomaly; tags => ''{"team": ["data", "web"]}'' scores only the records so tagged (computed from the records, not the rollups or the stored baselines).';

-- Consecutive flagged points of one series form one event: a lasting change alerts once. An
-- event is ongoing only when it reaches its series' newest point and that point is the newest
-- bucket of the data as a whole: a series that simply stopped (no later bucket) is not still
-- surging.
create function sentinel.anomaly_events(
    method text,
    granularity text,
    group_by text[],
    -- null: the method's default (sentinel.detector_defaults).
    baseline interval default null,
    threshold double precision default null,
    min_impact double precision default null,
    min_pct double precision default null,
    direction text default null,
    min_daily_pct double precision default null
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
            last_value(scored.bucket) over whole_series as series_last,
            max(scored.bucket) over () as data_last
        from sentinel.detect(
            anomaly_events.method,
            anomaly_events.granularity,
            anomaly_events.group_by,
            anomaly_events.baseline,
            anomaly_events.threshold,
            anomaly_events.min_impact,
            anomaly_events.min_pct,
            anomaly_events.direction,
            min_daily_pct => anomaly_events.min_daily_pct
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
        max(verdicts.bucket) = max(verdicts.series_last)
            and max(verdicts.bucket) = max(verdicts.data_last) as ongoing,
        count(*) as point_count,
        (array_agg(verdicts.score order by abs(verdicts.score) desc))[1] as peak_score,
        max(verdicts.cost) as peak_cost,
        sum(verdicts.impact) as total_impact,
        anomaly_events.method
    from verdicts
    where verdicts.anomaly
    group by verdicts.service, verdicts.account_id, verdicts.region, verdicts.island
$$;

comment on function sentinel.anomaly_events(text, text, text[], interval, double precision, double precision, double precision, text, double precision) is
    'Runs of consecutive flagged points per series, same parameters as sentinel.detect: start, end, ongoing (the run reaches the series'' newest point, and that is the newest bucket of all the data), peak score, total impact.';

