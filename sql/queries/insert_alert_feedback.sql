-- Store a rating of an alert. no (a false alarm) and planned (expected spend) close it and keep
-- its series quiet for sentinel.alert_quiet_period() after its last flagged bucket, unless the
-- impact grows (sentinel.evaluate_alerts); yes leaves it as it is. Nothing is returned when
-- there is no such alert.
-- params: alert_id, verdict (yes|no|planned), note, key_name
-- row: AlertFeedback
with rated as (
    update sentinel_data.alert as alert
    set feedback = %(verdict)s::text,
        status = case when %(verdict)s::text = 'yes' then alert.status else 'closed' end,
        ended_at = case
            when %(verdict)s::text = 'yes' then alert.ended_at
            else coalesce(
                alert.ended_at,
                alert.last_flagged_at
                    + case alert.granularity when 'day' then interval '1 day' else interval '1 hour' end
            )
        end,
        quiet_until = case
            when %(verdict)s::text = 'yes' then null
            else alert.last_flagged_at + sentinel.alert_quiet_period()
        end,
        updated_at = now()
    where alert.id = %(alert_id)s::bigint
    returning alert.id
)
insert into sentinel_data.alert_feedback (alert_id, verdict, note, key_name)
select rated.id, %(verdict)s::text, %(note)s::text, %(key_name)s::text
from rated
returning id, alert_id, verdict, note, key_name, created_at
