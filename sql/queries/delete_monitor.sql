-- Delete a monitor with its alerts, their feedback and events. Nothing is returned when there
-- is no such monitor.
-- params: monitor_id
-- row: (id)
delete from sentinel_data.monitor
where id = %(monitor_id)s::bigint
returning id
