-- Notifications: which alert changes reach which subscription, written to the outbox
-- (sentinel_data.notification) in the transaction that changed the alerts, so that a
-- committed alert is always told and a rolled-back one never is. The server's notifier
-- (src/sentinel/notify.py) delivers them; pg_notify('sentinel_outbox') wakes it at commit.
--
-- Immediate subscriptions hear of an alert when it opens, once more when its impact has
-- doubled (the event 'grew'), and when it closes: never once per bucket. Digests list the
-- alerts a day or a week raised.


-- Whether an alert's figures pass a subscription's thresholds: both must hold. With nothing
-- expected the percentage is unbounded (new spend), so only min_impact can hold it back.
create function sentinel_internal.passes(
    total_impact double precision,
    impact_pct double precision,
    min_impact double precision,
    min_pct double precision
)
returns boolean
language sql
immutable
parallel safe
return abs(total_impact) >= min_impact
    and coalesce(abs(impact_pct), 'Infinity') >= min_pct;

comment on function sentinel_internal.passes(double precision, double precision, double precision, double precision) is
    'Whether an alert''s |total_impact| and |impact_pct| reach a subscription''s min_impact and min_pct (both must hold; no expected spend passes any min_pct).';


-- An alert as notifications carry it: the row of sentinel.alerts, and where the API serves it.
create function sentinel_internal.alert_document(alert_id bigint)
returns jsonb
language sql
stable
as $$
    select to_jsonb(alert) - 'quiet_until' || jsonb_build_object('path', '/api/v1/alerts/' || alert.id)
    from sentinel.alerts as alert
    where alert.id = alert_document.alert_id
$$;

comment on function sentinel_internal.alert_document(bigint) is
    'One alert as notification payloads carry it: its sentinel.alerts row and its API path.';


-- The outbox rows for the alert events after the id given (the ones this evaluation wrote),
-- to the immediate subscriptions of each alert's monitor. Opened and grew are told when the
-- alert passes the thresholds (an alert that first passes them as it grows is told then);
-- closed only to the subscriptions told of the alert before. Idempotent: the key names the
-- subscription and the event. Returns how many rows it wrote.
create function sentinel_internal.enqueue_notifications(after_event bigint)
returns integer
language plpgsql
volatile
as $$
declare
    written integer;
    total integer := 0;
begin
    -- Two passes of one insert: first opened and grew, then closed, so that the closed pass
    -- sees the messages the first just wrote (a statement does not see its own rows) and an
    -- alert that opened and closed in one evaluation is told both.
    for pass in 1..2 loop
        insert into sentinel_data.notification (subscription_id, alert_id, kind, idempotency_key, payload)
        select
            subscription.id,
            alert.id,
            event.kind,
            message.idempotency_key,
            jsonb_build_object(
                'type', 'alert.' || event.kind,
                'idempotency_key', message.idempotency_key,
                'created_at', event.created_at,
                'alert', sentinel_internal.alert_document(alert.id)
            )
        from sentinel_data.alert_event as event
        join sentinel_data.alert as alert on alert.id = event.alert_id
        join sentinel_data.subscription as subscription on subscription.monitor_id = alert.monitor_id
        cross join lateral (
            select 'sentinel-' || subscription.id || '-' || event.id as idempotency_key
        ) as message
        where event.id > enqueue_notifications.after_event
            and subscription.frequency = 'immediate'
            and case
                when pass = 1 then
                    event.kind in ('opened', 'grew')
                    and sentinel_internal.passes(
                        alert.total_impact, alert.impact_pct, subscription.min_impact, subscription.min_pct
                    )
                else
                    event.kind = 'closed'
                    and exists (
                        select
                        from sentinel_data.notification as earlier
                        where earlier.subscription_id = subscription.id
                            and earlier.alert_id = alert.id
                            and earlier.kind <> 'closed'
                    )
            end
        order by event.id, subscription.id
        on conflict (idempotency_key) do nothing;
        get diagnostics written = row_count;
        total := total + written;
    end loop;

    if total > 0 then
        perform pg_notify('sentinel_outbox', '');
    end if;
    return total;
end
$$;

comment on function sentinel_internal.enqueue_notifications(bigint) is
    'Writes the outbox rows for the alert events after the id given to the immediate subscriptions they concern; returns how many.';


-- The digests due at the time given: for each daily or weekly subscription, one message per
-- ended period (UTC days; weeks from Monday) it has not had yet, listing the alerts its monitor
-- raised in the period that pass its thresholds (no message for a period without any). A
-- subscription's first period is the one it was created in. Servers sharing a database skip
-- each other's subscriptions (skip locked) and the key names the period, so each digest is
-- written once. Returns how many it wrote.
create function sentinel.enqueue_digests(at timestamptz default now())
returns integer
language plpgsql
volatile
as $$
declare
    subscriber record;
    period interval;
    period_end timestamptz;
    period_start timestamptz;
    listed jsonb;
    written integer := 0;
begin
    for subscriber in
        select subscription.*
        from sentinel_data.subscription as subscription
        where subscription.frequency in ('daily', 'weekly')
        order by subscription.id
        for update skip locked
    loop
        period := case subscriber.frequency when 'daily' then interval '1 day' else interval '7 days' end;
        period_end := date_trunc(
            case subscriber.frequency when 'daily' then 'day' else 'week' end, enqueue_digests.at, 'UTC'
        );
        period_start := greatest(
            period_end - period,
            coalesce(
                subscriber.digested_until,
                date_trunc(
                    case subscriber.frequency when 'daily' then 'day' else 'week' end,
                    subscriber.created_at,
                    'UTC'
                )
            )
        );
        continue when period_start >= period_end;

        select jsonb_agg(sentinel_internal.alert_document(alert.id) order by alert.total_impact desc, alert.id)
        into listed
        from sentinel_data.alert as alert
        where alert.monitor_id = subscriber.monitor_id
            and alert.created_at >= period_start
            and alert.created_at < period_end
            and sentinel_internal.passes(
                alert.total_impact, alert.impact_pct, subscriber.min_impact, subscriber.min_pct
            );

        if listed is not null then
            insert into sentinel_data.notification (subscription_id, kind, idempotency_key, payload)
            values (
                subscriber.id,
                'digest',
                'sentinel-' || subscriber.id || '-digest-' || to_char(period_end at time zone 'UTC', 'YYYYMMDD'),
                jsonb_build_object(
                    'type', 'digest.' || subscriber.frequency,
                    'idempotency_key',
                    'sentinel-' || subscriber.id || '-digest-' || to_char(period_end at time zone 'UTC', 'YYYYMMDD'),
                    'period_start', period_start,
                    'period_end', period_end,
                    'alerts', listed
                )
            )
            on conflict (idempotency_key) do nothing;
            written := written + 1;
        end if;
        update sentinel_data.subscription
        set digested_until = period_end
        where id = subscriber.id;
    end loop;
    if written > 0 then
        perform pg_notify('sentinel_outbox', '');
    end if;
    return written;
end
$$;

comment on function sentinel.enqueue_digests(timestamptz) is
    'Writes the daily and weekly digests that are due at the time given (one per ended period with alerts); returns how many.';


create view sentinel.subscriptions as
select
    subscription.id,
    subscription.monitor_id,
    subscription.channel,
    -- A Slack incoming-webhook URL is itself a credential: only its host is shown.
    case subscription.channel
        when 'slack' then regexp_replace(subscription.target, '^([a-z]+://[^/]+)/.*$', '\1/…')
        else subscription.target
    end as target,
    subscription.frequency,
    subscription.min_impact,
    subscription.min_pct,
    subscription.digested_until,
    subscription.created_at
from sentinel_data.subscription as subscription;

comment on view sentinel.subscriptions is
    'Who hears of each monitor''s alerts, how and how often; secrets are not shown, nor the path of a Slack webhook URL.';
comment on column sentinel.subscriptions.digested_until is
    'Daily and weekly subscriptions: the end of the last period a digest was made for.';

create view sentinel.notifications as
select
    notification.id,
    notification.subscription_id,
    subscription.monitor_id,
    notification.alert_id,
    subscription.channel,
    notification.kind,
    notification.status,
    notification.attempts,
    notification.next_attempt_at,
    notification.last_error,
    notification.idempotency_key,
    notification.payload,
    notification.created_at,
    notification.delivered_at
from sentinel_data.notification as notification
join sentinel_data.subscription as subscription on subscription.id = notification.subscription_id;

comment on view sentinel.notifications is
    'The outbox: each message to a subscription, with its delivery state (pending, delivered, failed), attempts and last error.';
comment on column sentinel.notifications.next_attempt_at is
    'Pending: when the notifier tries it next (retries back off exponentially).';
comment on column sentinel.notifications.idempotency_key is
    'Sent with every attempt (header Idempotency-Key and in the payload): receivers drop a message whose key they have seen.';
