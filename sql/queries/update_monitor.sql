-- Replace a monitor's settings (what is left out takes the defaults again). Its alerts stay;
-- the new settings judge the data that arrives from now on. Nothing is returned when there is
-- no such monitor; a taken name raises unique_violation.
-- params: monitor_id, name, method, granularity, group_by text[], window interval, threshold,
--         min_impact, min_pct, direction, filter jsonb, enabled, min_daily_pct
-- row: (id)
update sentinel_data.monitor
set name = %(name)s::text,
    method = %(method)s::text,
    granularity = %(granularity)s::text,
    group_by = %(group_by)s::text[],
    baseline = %(window)s::interval,
    threshold = %(threshold)s::double precision,
    min_impact = %(min_impact)s::double precision,
    min_pct = %(min_pct)s::double precision,
    min_daily_pct = %(min_daily_pct)s::double precision,
    direction = %(direction)s::text,
    filter = %(filter)s::jsonb,
    enabled = %(enabled)s::boolean,
    updated_at = now()
where id = %(monitor_id)s::bigint
returning id
