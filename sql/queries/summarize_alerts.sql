-- How the alerts were rated: raised, open, rated (by their latest feedback) and the share
-- rated yes, the live precision of the detectors as people judge them.
-- params: monitor_id (null: all monitors)
-- row: AlertStats
select
    count(*) as raised,
    count(*) filter (where status = 'open') as open,
    count(feedback) as rated,
    count(*) filter (where feedback = 'yes') as rated_yes,
    count(*) filter (where feedback = 'no') as rated_no,
    count(*) filter (where feedback = 'planned') as rated_planned,
    round(
        (count(*) filter (where feedback = 'yes'))::numeric / nullif(count(feedback), 0), 3
    )::double precision as precision
from sentinel.alerts
where %(monitor_id)s::bigint is null or monitor_id = %(monitor_id)s::bigint
