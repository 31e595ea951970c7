-- Store a new monitor; null method, window or threshold take the defaults of
-- sentinel.detector_defaults when it runs. Nothing is returned when the name is taken.
-- params: name, method, granularity, group_by text[], window interval, threshold, min_impact,
--         min_pct, direction, filter jsonb, enabled, min_daily_pct
-- row: (id)
insert into sentinel_data.monitor (
    name, method, granularity, group_by, baseline, threshold, min_impact, min_pct, direction,
    filter, enabled, min_daily_pct
)
values (
    %(name)s::text,
    %(method)s::text,
    %(granularity)s::text,
    %(group_by)s::text[],
    %(window)s::interval,
    %(threshold)s::double precision,
    %(min_impact)s::double precision,
    %(min_pct)s::double precision,
    %(direction)s::text,
    %(filter)s::jsonb,
    %(enabled)s::boolean,
    %(min_daily_pct)s::double precision
)
on conflict (name) do nothing
returning id
