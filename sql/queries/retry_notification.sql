-- Send a message again: unless it was delivered, it is due at once with a fresh count of
-- attempts (its last_error kept until the next one), and the outbox channel wakes the
-- notifiers at commit. The status it had comes back; no row when there is no such message.
-- params: id
-- row: (status before the retry; delivered: left alone)
with found as (
    select message.id, message.status
    from sentinel_data.notification as message
    where message.id = %(id)s::bigint
    for update
),
retried as (
    update sentinel_data.notification as message
    set status = 'pending', attempts = 0, next_attempt_at = now()
    from found
    where message.id = found.id and found.status <> 'delivered'
    returning message.id
)
select found.status, pg_notify('sentinel_outbox', '') as woken
from found
