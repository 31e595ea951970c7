-- The alerts that the evaluation in this transaction changed, with what it did to each, for
-- `sentinel alerts evaluate` to print. Run in the evaluation's transaction, before its commit:
-- sentinel.evaluate_alerts() sets updated_at (and the events' created_at) to now(), the
-- transaction's start, on every alert it opens or changes, and only on those.
-- params: none
-- row: AlertChange; change lists the events written (opened, grew, closed), else 'updated'
select
    alert.id as alert_id,
    coalesce(string_agg(event.kind, ', ' order by event.id), 'updated') as change
from sentinel_data.alert as alert
left join sentinel_data.alert_event as event
    on event.alert_id = alert.id
    and event.created_at = now()
where alert.updated_at = now()
group by alert.id
order by alert.id
