-- Every monitor with the defaults it takes filled in (sentinel.monitors), oldest first; one by
-- id when monitor_id is given.
-- params: monitor_id bigint (null: all)
-- row: Monitor
select
    id,
    name,
    method,
    granularity,
    group_by,
    -- As a client writes it (7d, 36h), the form the API takes.
    case
        when mod(extract(epoch from "window")::bigint, 86400) = 0
            then (extract(epoch from "window")::bigint / 86400)::text || 'd'
        else (extract(epoch from "window")::bigint / 3600)::text || 'h'
    end as "window",
    threshold,
    min_impact,
    min_pct,
    min_daily_pct,
    direction,
    filter,
    enabled,
    created_at,
    updated_at
from sentinel.monitors
where %(monitor_id)s::bigint is null or id = %(monitor_id)s::bigint
order by id
