-- Unsubscribe; its pending messages go with it. Returns the id, nothing when there was none.
-- params: monitor_id, subscription_id
delete from sentinel_data.subscription
where monitor_id = %(monitor_id)s::bigint and id = %(subscription_id)s::bigint
returning id
