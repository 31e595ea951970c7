-- Why: anomalies that reach people. A monitor (sentinel_data.monitor) names a detector and the
-- series it watches; evaluation turns its verdicts into alerts, one per run of consecutive
-- flagged buckets of a series, kept with a stable id, root causes and feedback. Evaluation is
-- causal (it reads sentinel.detect, which judges each bucket only from earlier data) and
-- incremental: triggers on billing_record queue the hours that new data changed
-- (sentinel_data.alert_touch) and sentinel.evaluate_alerts() looks at those buckets and the
-- alerts they belong to, nothing else. Running it again over the same data changes nothing.
-- Each change worth telling someone (opened, grew, closed) is written to alert_event in the
-- same transaction as the alert, for the notification outbox to read.

-- How long a series stays quiet after its alert was rated no (a false alarm) or planned, in the
-- series' own time after the alert's last flagged bucket: a new run in that time opens no alert
-- unless its impact exceeds the rated one's.
create function sentinel.alert_quiet_period()
returns interval
language sql
immutable
as $$
    select interval '7 days'
$$;

comment on function sentinel.alert_quiet_period() is
    'How long a series stays quiet after its alert was rated no or planned (unless the impact grows).';

-- How far before an alert's first bucket root causes look for each slice's usual share.
create function sentinel.root_cause_period()
returns interval
language sql
immutable
as $$
    select interval '7 days'
$$;

comment on function sentinel.root_cause_period() is
    'The baseline period of root causes: each slice''s share of the series'' cost over this time before the alert.';


-- The hours each statement changed, per service, are queued in sentinel_data.alert_touch for
-- the next evaluation by sentinel_internal.apply_buckets (03_rollups.sql), with the rollups.


-- A monitor's verdicts from since on: sentinel.detect with the monitor's parameters, for the
-- series its filter selects. series_columns are its group_by and the columns its filter names
-- (a filter on a column outside group_by also splits the series by that column, so a monitor
-- of account A per service watches each service within account A). services narrows the
-- series to the services whose data changed, when service is a series column; otherwise every
-- series may have changed. The parameters come one by one, not as a monitor's id, so that a
-- caller that plans with their values (sentinel_internal.evaluate_monitor) lets the planner
-- inline sentinel.detect, keep only the method's branch and take the bucket and service
-- filters down to the stored baselines, instead of scoring every bucket of every series.
-- tags (filter.tags) narrows the records themselves (sentinel.detect's tags): each series'
-- cost per bucket is that of its matching records, and the detector judges those series.
create function sentinel_internal.monitor_verdicts(
    method text,
    granularity text,
    series_columns text[],
    baseline interval,
    threshold double precision,
    min_impact double precision,
    min_pct double precision,
    direction text,
    filter jsonb,
    services text[],
    since timestamptz,
    -- The filter's tags ({key: [value, ...]}), apart so that a call of the default monitor's
    -- shape plans with a constant null (sentinel_internal.default_shape_runs).
    tags jsonb default null,
    min_daily_pct double precision default null
)
returns table (
    service text,
    account_id text,
    region text,
    bucket timestamptz,
    cost double precision,
    expected double precision,
    score double precision,
    impact double precision,
    anomaly boolean,
    method text,
    granularity text
)
language sql
stable
as $$
    select
        verdict.service,
        verdict.account_id,
        verdict.region,
        verdict.bucket,
        verdict.cost,
        verdict.expected,
        verdict.score,
        verdict.impact,
        verdict.anomaly,
        verdict.method,
        monitor_verdicts.granularity
    from sentinel.detect(
        monitor_verdicts.method,
        monitor_verdicts.granularity,
        monitor_verdicts.series_columns,
        monitor_verdicts.baseline,
        monitor_verdicts.threshold,
        monitor_verdicts.min_impact,
        monitor_verdicts.min_pct,
        monitor_verdicts.direction,
        monitor_verdicts.tags,
        -- Tagged points are computed from the records: only those of the services given.
        case when monitor_verdicts.tags is not null then monitor_verdicts.services end,
        monitor_verdicts.min_daily_pct
    ) as verdict
    where verdict.bucket >= monitor_verdicts.since
        and (verdict.service is null or verdict.service = any (monitor_verdicts.services))
        and (
            not monitor_verdicts.filter ? 'service'
            or verdict.service in (select jsonb_array_elements_text(monitor_verdicts.filter -> 'service'))
        )
        and (
            not monitor_verdicts.filter ? 'account_id'
            or verdict.account_id in (select jsonb_array_elements_text(monitor_verdicts.filter -> 'account_id'))
        )
        and (
            not monitor_verdicts.filter ? 'region'
            or verdict.region in (select jsonb_array_elements_text(monitor_verdicts.filter -> 'region'))
        )
$$;

comment on function sentinel_internal.monitor_verdicts(text, text, text[], interval, double precision, double precision, double precision, text, jsonb, text[], timestamptz, jsonb, double precision) is
    'A monitor''s verdicts (sentinel.detect with its parameters) from since on, for the series its filter selects and the services given.';


-- A run of consecutive flagged buckets of one series, as evaluation computes it.
create type sentinel_internal.alert_run as (
    service text,
    account_id text,
    region text,
    started_at timestamptz,
    last_flagged_at timestamptz,
    -- The series' first normal bucket after the run; null while the run lasts.
    ended_at timestamptz,
    bucket_count integer,
    peak_score double precision,
    actual double precision,
    expected double precision,
    total_impact double precision,
    max_impact double precision,
    method text,
    granularity text
);

-- The runs of a monitor's verdicts from since on. Gaps and islands: the count of normal
-- buckets so far is the same for a run's buckets and for the normal bucket just before it, so
-- a run is the flagged rows of one count, ended by the normal bucket of the next count.
create function sentinel_internal.monitor_runs(
    method text,
    granularity text,
    series_columns text[],
    baseline interval,
    threshold double precision,
    min_impact double precision,
    min_pct double precision,
    direction text,
    filter jsonb,
    services text[],
    since timestamptz,
    -- The filter's tags ({key: [value, ...]}), apart so that a call of the default monitor's
    -- shape plans with a constant null (sentinel_internal.default_shape_runs).
    tags jsonb default null,
    min_daily_pct double precision default null
)
returns setof sentinel_internal.alert_run
language sql
stable
as $$
    with verdicts as (
        select
            verdict.service,
            verdict.account_id,
            verdict.region,
            verdict.bucket,
            verdict.cost,
            verdict.expected,
            verdict.score,
            verdict.impact,
            verdict.anomaly,
            verdict.method,
            verdict.granularity,
            count(*) filter (where not verdict.anomaly) over (
                partition by verdict.service, verdict.account_id, verdict.region
                order by verdict.bucket
                rows between unbounded preceding and current row
            ) as island
        from sentinel_internal.monitor_verdicts(
            monitor_runs.method,
            monitor_runs.granularity,
            monitor_runs.series_columns,
            monitor_runs.baseline,
            monitor_runs.threshold,
            monitor_runs.min_impact,
            monitor_runs.min_pct,
            monitor_runs.direction,
            monitor_runs.filter,
            monitor_runs.services,
            monitor_runs.since,
            monitor_runs.tags,
            monitor_runs.min_daily_pct
        ) as verdict
    ),
    islands as (
        select
            verdicts.service,
            verdicts.account_id,
            verdicts.region,
            verdicts.island,
            min(verdicts.bucket) filter (where not verdicts.anomaly) as normal_at,
            min(verdicts.bucket) filter (where verdicts.anomaly) as started_at,
            max(verdicts.bucket) filter (where verdicts.anomaly) as last_flagged_at,
            count(*) filter (where verdicts.anomaly) as bucket_count,
            (array_agg(verdicts.score order by abs(verdicts.score) desc)
                filter (where verdicts.anomaly))[1] as peak_score,
            sum(verdicts.cost) filter (where verdicts.anomaly) as actual,
            sum(verdicts.expected) filter (where verdicts.anomaly) as expected,
            sum(verdicts.impact) filter (where verdicts.anomaly) as total_impact,
            (array_agg(verdicts.impact order by abs(verdicts.impact) desc)
                filter (where verdicts.anomaly))[1] as max_impact,
            min(verdicts.method) as method,
            min(verdicts.granularity) as granularity
        from verdicts
        group by verdicts.service, verdicts.account_id, verdicts.region, verdicts.island
    ),
    ended as (
        select
            islands.service,
            islands.account_id,
            islands.region,
            islands.started_at,
            islands.last_flagged_at,
            lead(islands.normal_at) over (
                partition by islands.service, islands.account_id, islands.region
                order by islands.island
            ) as ended_at,
            islands.bucket_count,
            islands.peak_score,
            islands.actual,
            islands.expected,
            islands.total_impact,
            islands.max_impact,
            islands.method,
            islands.granularity
        from islands
    )
    select
        ended.service,
        ended.account_id,
        ended.region,
        ended.started_at,
        ended.last_flagged_at,
        ended.ended_at,
        ended.bucket_count::integer,
        ended.peak_score,
        ended.actual,
        ended.expected,
        ended.total_impact,
        ended.max_impact,
        ended.method,
        ended.granularity
    from ended
    where ended.bucket_count > 0
$$;

comment on function sentinel_internal.monitor_runs(text, text, text[], interval, double precision, double precision, double precision, text, jsonb, text[], timestamptz, jsonb, double precision) is
    'Runs of consecutive flagged buckets of a monitor''s series from since on, each with its end (the next normal bucket) and impact.';


-- An alert's contributors: for each slice of its series (service, account, region, usage type,
-- each tag value) over the alert's buckets, actual cost, expected (the slice's share of the
-- series' cost over root_cause_period() before the alert, times the alert's expected) and the
-- dollar contribution actual - expected; the largest contributions (either sign) first. The
-- series' own key columns are left out: they have one value. tags (a monitor's filter.tags)
-- keeps the records its series are made of.
create function sentinel_internal.root_causes(
    service text,
    account_id text,
    region text,
    started_at timestamptz,
    until timestamptz,
    expected double precision,
    tags jsonb default null
)
returns jsonb
language sql
stable
as $$
    with slices as (
        select
            slice.dimension,
            slice.value,
            coalesce(sum(rec.cost) filter (where rec."timestamp" >= root_causes.started_at), 0)
                ::double precision as actual,
            coalesce(sum(rec.cost) filter (where rec."timestamp" < root_causes.started_at), 0)
                ::double precision as before
        from sentinel.billing_line_items as rec
        cross join lateral (
            select 'service' as dimension, rec.service as value
            where root_causes.service is null
            union all
            select 'account_id', rec.account_id
            where root_causes.account_id is null
            union all
            select 'region', rec.region
            where root_causes.region is null
            union all
            select 'usage_type', rec.usage_type
            where rec.usage_type is not null
            union all
            select 'tag:' || tag.key, tag.value
            from jsonb_each_text(coalesce(rec.tags, '{}')) as tag (key, value)
        ) as slice
        where rec.charge_type = 'usage'
            and (root_causes.service is null or rec.service = root_causes.service)
            and (root_causes.account_id is null or rec.account_id = root_causes.account_id)
            and (root_causes.region is null or rec.region = root_causes.region)
            and (root_causes.tags is null or sentinel.tags_match(rec.tags, root_causes.tags))
            and rec."timestamp" >= root_causes.started_at - sentinel.root_cause_period()
            and rec."timestamp" < root_causes.until
        group by slice.dimension, slice.value
    ),
    shares as (
        select
            slices.dimension,
            slices.value,
            slices.actual,
            root_causes.expected * slices.before
                / nullif(sum(slices.before) over (partition by slices.dimension), 0) as expected
        from slices
    ),
    ranked as (
        select
            shares.dimension,
            shares.value,
            shares.actual,
            coalesce(shares.expected, 0) as expected,
            shares.actual - coalesce(shares.expected, 0) as contribution
        from shares
        order by abs(shares.actual - coalesce(shares.expected, 0)) desc, shares.dimension, shares.value
        limit 10
    )
    select coalesce(
        jsonb_agg(
            jsonb_build_object(
                'dimension', ranked.dimension,
                'value', ranked.value,
                'actual', round(ranked.actual::numeric, 2),
                'expected', round(ranked.expected::numeric, 2),
                'contribution', round(ranked.contribution::numeric, 2)
            )
            order by abs(ranked.contribution) desc, ranked.dimension, ranked.value
        ),
        '[]'
    )
    from ranked
$$;

comment on function sentinel_internal.root_causes(text, text, text, timestamptz, timestamptz, double precision, jsonb) is
    'The top 10 slices (account, region, usage type, tag, service) of an alert''s series by dollar contribution over its buckets.';


-- Step 1 of an evaluation: the alerts that runs overlap take the runs' figures (an open one
-- closes when its run has ended; one closed by feedback stays closed), with the events of what
-- changed. A run overlaps an alert when it starts before the alert ended and ends at or after
-- the alert's start, so a late record that changes an earlier bucket updates its alert
-- instead of opening another. Returns the ids of the alerts changed.
create function sentinel_internal.update_alerts(monitor_id bigint, runs sentinel_internal.alert_run[])
returns bigint[]
language sql
volatile
as $$
    with matched as (
        select
            held.id,
            held.status as old_status,
            held.notified_impact,
            run.*,
            case
                when held.feedback in ('no', 'planned') or run.ended_at is not null then 'closed'
                else 'open'
            end as new_status
        from unnest(update_alerts.runs) as run
        cross join lateral (
            select alert.id, alert.status, alert.notified_impact, alert.feedback
            from sentinel_data.alert as alert
            where alert.monitor_id = update_alerts.monitor_id
                and alert.service is not distinct from run.service
                and alert.account_id is not distinct from run.account_id
                and alert.region is not distinct from run.region
                and alert.started_at <= run.last_flagged_at
                and coalesce(alert.ended_at, 'infinity') >= run.started_at
            order by alert.started_at
            limit 1
        ) as held
    ),
    updated as (
        update sentinel_data.alert as alert
        set started_at = least(alert.started_at, matched.started_at),
            last_flagged_at = matched.last_flagged_at,
            ended_at = case
                when matched.new_status = 'closed'
                    then coalesce(matched.ended_at, alert.ended_at, matched.last_flagged_at)
            end,
            status = matched.new_status,
            bucket_count = matched.bucket_count,
            peak_score = matched.peak_score,
            actual = matched.actual,
            expected = matched.expected,
            total_impact = matched.total_impact,
            max_impact = matched.max_impact,
            impact_pct = 100.0 * matched.total_impact / nullif(matched.expected, 0),
            -- Told once more, at most, while it grows: when its impact has doubled since it
            -- opened (a surge that keeps growing is one alert, not one message per hour).
            notified_impact = case
                when alert.feedback is null
                    and abs(matched.total_impact) >= 2 * abs(alert.notified_impact)
                    and not exists (
                        select
                        from sentinel_data.alert_event as told
                        where told.alert_id = alert.id and told.kind = 'grew'
                    )
                    then matched.total_impact
                else alert.notified_impact
            end,
            updated_at = now()
        from matched
        where alert.id = matched.id
            and (
                alert.started_at, alert.last_flagged_at, alert.ended_at, alert.status,
                alert.bucket_count, alert.peak_score, alert.actual, alert.expected
            ) is distinct from (
                least(alert.started_at, matched.started_at), matched.last_flagged_at,
                case
                    when matched.new_status = 'closed'
                        then coalesce(matched.ended_at, alert.ended_at, matched.last_flagged_at)
                end,
                matched.new_status, matched.bucket_count, matched.peak_score, matched.actual,
                matched.expected
            )
        returning alert.id, alert.status, alert.feedback, alert.total_impact,
            alert.notified_impact, matched.old_status, matched.notified_impact as old_notified
    ),
    events as (
        insert into sentinel_data.alert_event (alert_id, kind, total_impact)
        select updated.id, event.kind, updated.total_impact
        from updated
        cross join lateral (
            select 'grew' as kind, 1 as position
            where updated.notified_impact is distinct from updated.old_notified
            union all
            select 'closed', 2
            where updated.old_status = 'open' and updated.status = 'closed' and updated.feedback is null
        ) as event
        order by updated.id, event.position
    )
    select coalesce(array_agg(updated.id), '{}') from updated
$$;

comment on function sentinel_internal.update_alerts(bigint, sentinel_internal.alert_run[]) is
    'Evaluation, step 1: the alerts the runs overlap take their figures; events for what changed. Returns their ids.';

-- Step 2: each run that no alert holds opens one (already closed when the run has ended),
-- unless its series is quiet after a rating no or planned and the run's impact is no larger.
-- Returns the ids of the alerts opened.
create function sentinel_internal.open_alerts(monitor_id bigint, runs sentinel_internal.alert_run[])
returns bigint[]
language sql
volatile
as $$
    with inserted as (
        insert into sentinel_data.alert (
            monitor_id, service, account_id, region, started_at, last_flagged_at, ended_at,
            status, bucket_count, peak_score, actual, expected, total_impact, max_impact,
            impact_pct, method, granularity, notified_impact
        )
        select
            open_alerts.monitor_id, run.service, run.account_id, run.region, run.started_at,
            run.last_flagged_at, run.ended_at,
            case when run.ended_at is null then 'open' else 'closed' end,
            run.bucket_count, run.peak_score, run.actual, run.expected, run.total_impact,
            run.max_impact, 100.0 * run.total_impact / nullif(run.expected, 0), run.method,
            run.granularity, run.total_impact
        from unnest(open_alerts.runs) as run
        where not exists (
            select
            from sentinel_data.alert as alert
            where alert.monitor_id = open_alerts.monitor_id
                and alert.service is not distinct from run.service
                and alert.account_id is not distinct from run.account_id
                and alert.region is not distinct from run.region
                and alert.started_at <= run.last_flagged_at
                and coalesce(alert.ended_at, 'infinity') >= run.started_at
        )
        and not exists (
            select
            from sentinel_data.alert as rated
            where rated.monitor_id = open_alerts.monitor_id
                and rated.service is not distinct from run.service
                and rated.account_id is not distinct from run.account_id
                and rated.region is not distinct from run.region
                and rated.feedback in ('no', 'planned')
                and rated.quiet_until > run.started_at
                and abs(run.max_impact) <= abs(rated.max_impact)
        )
        order by run.started_at
        returning id, status, total_impact
    ),
    events as (
        insert into sentinel_data.alert_event (alert_id, kind, total_impact)
        select inserted.id, event.kind, inserted.total_impact
        from inserted
        cross join lateral (
            select 'opened' as kind, 1 as position
            union all
            select 'closed', 2
            where inserted.status = 'closed'
        ) as event
        order by inserted.id, event.position
    )
    select coalesce(array_agg(inserted.id), '{}') from inserted
$$;

comment on function sentinel_internal.open_alerts(bigint, sentinel_internal.alert_run[]) is
    'Evaluation, step 2: the runs no alert holds open alerts (unless their series is quiet); events opened (and closed). Returns their ids.';


-- One monitor's alerts brought up to date with its runs from since on: the alerts the runs
-- overlap are updated, the other runs open alerts, and the root causes of every alert changed
-- are recomputed. Returns how many alerts changed.
-- The runs of a monitor of the default monitor's shape (the recommended seasonal detector, by
-- hour, per service, its default window), with one plan per session instead of one per call.
-- Its shape is written as constants, so the planner inlines sentinel.detect, keeps only the
-- seasonal branch and the stored baselines' fast path; what varies (thresholds, direction,
-- filter, the services and hours) are parameters of a generic plan, which reads only the
-- buckets since and the services given. Planning that query is most of an evaluation's cost
-- (5-13 ms a call against under 1 ms to run the cached plan, bench/RESULTS.md), and an
-- automatic choice would keep re-planning it: its generic cost estimate (any services) looks
-- higher than the custom ones.
create function sentinel_internal.default_shape_runs(
    threshold double precision,
    min_impact double precision,
    min_pct double precision,
    direction text,
    filter jsonb,
    services text[],
    since timestamptz,
    min_daily_pct double precision
)
returns sentinel_internal.alert_run[]
language plpgsql
stable
set plan_cache_mode = force_generic_plan
as $$
declare
    runs sentinel_internal.alert_run[];
begin
    select coalesce(array_agg(run), '{}')
    into runs
    from sentinel_internal.monitor_runs(
        'seasonal', 'hour', '{service}', null,
        threshold, min_impact, min_pct, direction, filter, services, since, null, min_daily_pct
    ) as run;
    return runs;
end
$$;

comment on function sentinel_internal.default_shape_runs(double precision, double precision, double precision, text, jsonb, text[], timestamptz, double precision) is
    'sentinel_internal.monitor_runs for a monitor of the default monitor''s shape (seasonal, hour, per service, default window), with a plan kept for the session.';


create function sentinel_internal.evaluate_monitor(monitor_id bigint, services text[], since timestamptz)
returns integer
language plpgsql
as $$
declare
    watched record;
    method text;
    series_columns text[];
    tag_filter jsonb;
    runs sentinel_internal.alert_run[];
    daily_runs sentinel_internal.alert_run[] := '{}';
    daily text[];
    changed bigint[];
    opened bigint[];
begin
    -- Daily data is judged daily: of an hour monitor's services, those whose usage comes once
    -- a day (sentinel.daily_services) are evaluated at day buckets, the others at hours. A
    -- branch here, not in sentinel.detect, so that a call without daily services reads nothing
    -- of the day computation.
    daily := array(
        select daily_service.service
        from sentinel.daily_services as daily_service
        where daily_service.service = any (evaluate_monitor.services)
    );
    -- Start at the first bucket of any alert the changed buckets may belong to, so that each
    -- run is seen whole.
    select least(evaluate_monitor.since, min(held.started_at))
    into since
    from sentinel_data.alert as held
    where held.monitor_id = evaluate_monitor.monitor_id
        and (held.service is null or held.service = any (evaluate_monitor.services))
        and (held.status = 'open' or held.ended_at >= evaluate_monitor.since);

    select monitor.method, monitor.granularity, monitor.group_by, monitor.baseline,
        monitor.threshold, monitor.min_impact, monitor.min_pct, monitor.direction, monitor.filter,
        monitor.min_daily_pct
    into watched
    from sentinel_data.monitor as monitor
    where monitor.id = evaluate_monitor.monitor_id;
    method := coalesce(watched.method, sentinel.recommended_method());
    tag_filter := nullif(watched.filter -> 'tags', 'null');
    series_columns := array(
        select column_name
        from unnest(array['service', 'account_id', 'region']) as canonical (column_name)
        where column_name = any (watched.group_by) or watched.filter ? column_name
    );
    if watched.granularity = 'hour' and cardinality(daily) > 0 and 'service' = any (series_columns) then
        execute $query$
            select coalesce(array_agg(run), '{}')
            from sentinel_internal.monitor_runs($1, 'day', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) as run
        $query$
        into daily_runs
        using
            method, series_columns, watched.baseline, watched.threshold, watched.min_impact,
            watched.min_pct, watched.direction, watched.filter, daily,
            date_trunc('day', evaluate_monitor.since, 'UTC'), tag_filter, watched.min_daily_pct;
        services := array(select unnest(services) except select unnest(daily));
    end if;
    -- A tags filter reads the records, not the stored baselines: the per-call plan.
    if method = 'seasonal' and watched.granularity = 'hour' and series_columns = '{service}'
        and watched.baseline is null and tag_filter is null
    then
        runs := sentinel_internal.default_shape_runs(
            watched.threshold, watched.min_impact, watched.min_pct, watched.direction,
            watched.filter, evaluate_monitor.services, evaluate_monitor.since, watched.min_daily_pct
        );
    else
        -- Any other shape is planned for its values each time (execute, not a cached generic
        -- plan): with the detector's method, granularity, series and window as parameters a
        -- generic plan scores every bucket of every series, about ten times slower for an
        -- hourly batch of 50 services.
        execute $query$
            select coalesce(array_agg(run), '{}')
            from sentinel_internal.monitor_runs($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) as run
        $query$
        into runs
        using
            method,
            watched.granularity,
            series_columns,
            watched.baseline,
            watched.threshold,
            watched.min_impact,
            watched.min_pct,
            watched.direction,
            watched.filter,
            evaluate_monitor.services,
            evaluate_monitor.since,
            tag_filter,
            watched.min_daily_pct;
    end if;

    runs := runs || daily_runs;
    changed := sentinel_internal.update_alerts(evaluate_monitor.monitor_id, runs);
    opened := sentinel_internal.open_alerts(evaluate_monitor.monitor_id, runs);

    update sentinel_data.alert as alert
    set root_causes = sentinel_internal.root_causes(
        alert.service,
        alert.account_id,
        alert.region,
        alert.started_at,
        alert.last_flagged_at + case alert.granularity when 'day' then interval '1 day' else interval '1 hour' end,
        alert.expected,
        tag_filter
    )
    where alert.id = any (changed || opened);

    return cardinality(changed) + cardinality(opened);
end
$$;

comment on function sentinel_internal.evaluate_monitor(bigint, text[], timestamptz) is
    'Brings one monitor''s alerts up to date with its runs from since on (for the services given); returns how many alerts changed.';


-- Evaluate every enabled monitor over the hours queued since the last evaluation. One
-- evaluation at a time per database (a transaction-scoped advisory lock; another server that
-- finds it taken returns null and leaves the queue to the holder), so several servers can
-- share a database.
-- The queue is read, not claimed: a writer's trigger upserts the same rows, and a claim held
-- for the whole evaluation would make every write to those services wait for it. At the end
-- only the rows no writer has changed since (same row version, xmin) or is changing now (locked,
-- skipped) are removed, so what was written during the evaluation is evaluated next time.
-- It does not refresh the stored baselines (that would hold baseline_dirty the same way): the
-- callers run sentinel.refresh_baselines() first in a transaction of its own, and a service
-- still stale is computed in full by the detectors, with the same verdicts.
create function sentinel.evaluate_alerts()
returns integer
language plpgsql
as $$
declare
    services text[];
    versions xid[];
    since timestamptz;
    watched record;
    changed integer := 0;
    last_event bigint;
begin
    if not pg_try_advisory_xact_lock(hashtext('sentinel.evaluate_alerts')) then
        return null;
    end if;
    select array_agg(queued.service), array_agg(queued.xmin), min(queued.first_hour)
    into services, versions, since
    from sentinel_data.alert_touch as queued;
    if services is null then
        return 0;
    end if;
    select coalesce(max(event.id), 0) into last_event from sentinel_data.alert_event as event;
    for watched in
        select monitor.id, monitor.granularity
        from sentinel_data.monitor as monitor
        where monitor.enabled
        order by monitor.id
    loop
        changed := changed + sentinel_internal.evaluate_monitor(
            watched.id, services, date_trunc(watched.granularity, since, 'UTC')
        );
    end loop;
    -- The messages of this evaluation's events commit with them (the outbox).
    perform sentinel_internal.enqueue_notifications(last_event);
    delete from sentinel_data.alert_touch as done
    where done.ctid in (
        select queued.ctid
        from sentinel_data.alert_touch as queued
        join unnest(services, versions) as seen (service, version)
            on seen.service = queued.service and seen.version = queued.xmin
        for update of queued skip locked
    );
    return changed;
end
$$;

comment on function sentinel.evaluate_alerts() is
    'Evaluates every enabled monitor over the hours changed since the last evaluation; returns how many alerts changed (null: another evaluation is running).';


create view sentinel.monitors as
select
    id,
    name,
    coalesce(method, sentinel.recommended_method()) as method,
    granularity,
    group_by,
    coalesce(baseline, sentinel.default_window(coalesce(method, sentinel.recommended_method())))
        as "window",
    coalesce(threshold, sentinel.default_threshold(coalesce(method, sentinel.recommended_method())))
        as threshold,
    coalesce(min_impact, sentinel.default_min_impact(coalesce(method, sentinel.recommended_method())))
        as min_impact,
    min_pct,
    coalesce(min_daily_pct, sentinel.default_min_daily_pct(coalesce(method, sentinel.recommended_method())))
        as min_daily_pct,
    direction,
    filter,
    enabled,
    created_at,
    updated_at
from sentinel_data.monitor;

comment on view sentinel.monitors is
    'What Sentinel watches: each monitor''s detector with the defaults it takes filled in (sentinel.detector_defaults).';

create view sentinel.alerts as
select
    alert.id,
    alert.monitor_id,
    monitor.name as monitor_name,
    alert.service,
    alert.account_id,
    alert.region,
    alert.status,
    alert.started_at,
    alert.last_flagged_at,
    alert.ended_at,
    alert.bucket_count,
    alert.peak_score,
    alert.actual,
    alert.expected,
    alert.total_impact,
    alert.max_impact,
    alert.impact_pct,
    alert.root_causes,
    alert.feedback,
    alert.quiet_until,
    alert.method,
    alert.granularity,
    alert.created_at,
    alert.updated_at
from sentinel_data.alert as alert
join sentinel_data.monitor as monitor on monitor.id = alert.monitor_id;

comment on view sentinel.alerts is
    'Anomaly events raised by monitors: one per run of consecutive flagged buckets of a series, open until the series has a normal bucket.';
comment on column sentinel.alerts.service is 'The series key: null for a column the monitor does not group by.';
comment on column sentinel.alerts.last_flagged_at is 'Start of the newest flagged bucket.';
comment on column sentinel.alerts.ended_at is 'Start of the first normal bucket after the run (or when feedback closed it); null while open.';
comment on column sentinel.alerts.actual is 'Cost over the flagged buckets, dollars.';
comment on column sentinel.alerts.expected is 'Expected cost over the flagged buckets, dollars.';
comment on column sentinel.alerts.total_impact is 'actual - expected, dollars.';
comment on column sentinel.alerts.max_impact is 'The largest impact of one bucket, dollars.';
comment on column sentinel.alerts.impact_pct is 'total_impact as percent of expected; null when expected is 0.';
comment on column sentinel.alerts.root_causes is 'Top contributors (see sentinel.alert_root_causes).';
comment on column sentinel.alerts.quiet_until is 'After feedback no or planned: the series opens no alert before this (series time) unless the impact grows.';

create view sentinel.alert_root_causes as
select
    alert.id as alert_id,
    cause.rank,
    cause.dimension,
    cause.value,
    cause.actual,
    cause.expected,
    cause.contribution
from sentinel_data.alert as alert
cross join lateral rows from (
    jsonb_to_recordset(alert.root_causes)
        as (dimension text, value text, actual numeric, expected numeric, contribution numeric)
) with ordinality as cause (dimension, value, actual, expected, contribution, rank);

comment on view sentinel.alert_root_causes is
    'Each alert''s top contributors: per slice (account_id, region, usage_type, tag:<key>, service) actual and expected cost over the alert''s buckets and the dollar contribution; rank 1 is the largest.';
comment on column sentinel.alert_root_causes.expected is
    'The slice''s share of the series'' cost in the 7 days before the alert (sentinel.root_cause_period()) times the alert''s expected.';

create view sentinel.alert_feedback as
select
    feedback.id,
    feedback.alert_id,
    feedback.verdict,
    feedback.note,
    feedback.key_name,
    feedback.created_at
from sentinel_data.alert_feedback as feedback;

comment on view sentinel.alert_feedback is
    'What people said of alerts: yes (real), no (false alarm), planned (expected spend); key_name is who said it.';
comment on column sentinel.alert_feedback.key_name is
    'Who rated it: the name of the API key that sent it, cli:<OS user> from `sentinel alerts feedback` (a key name holds no colon), null when the API ran without keys.';
