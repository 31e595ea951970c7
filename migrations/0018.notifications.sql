-- Why: alerts reached nobody. A subscription says who hears of a monitor's alerts, how
-- (webhook, Slack, email) and how often (immediate, daily, weekly digests); a notification is
-- one message to send, written in the same transaction as the alert change it tells of (a
-- transactional outbox), so a committed alert is never left untold and a rolled-back one is
-- never told. The server's notifier delivers them with retries (src/sentinel/notify.py).
-- depends: 0017.alerts

create table sentinel_data.subscription (
    id bigint generated always as identity primary key,
    monitor_id bigint not null references sentinel_data.monitor (id) on delete cascade,
    channel text not null,
    -- A URL (webhook, slack) or an email address.
    target text not null,
    frequency text not null default 'immediate',
    -- Both must hold: |total_impact| at least min_impact dollars and |impact_pct| at least min_pct.
    min_impact double precision not null default 0,
    min_pct double precision not null default 0,
    -- The key webhook payloads are signed with (HMAC-SHA256). Kept as given, not hashed: the
    -- server must sign with it. Returned once at creation; no view shows it.
    secret text,
    -- Digests: the end of the last period a digest was made for.
    digested_until timestamptz,
    created_at timestamptz not null default now(),
    constraint subscription_channel check (channel in ('webhook', 'slack', 'email')),
    constraint subscription_frequency check (frequency in ('immediate', 'daily', 'weekly')),
    constraint subscription_target_length check (length(target) between 3 and 2048),
    constraint subscription_min_impact check (min_impact >= 0 and min_impact < 'Infinity'),
    constraint subscription_min_pct check (min_pct >= 0 and min_pct < 'Infinity')
);

comment on table sentinel_data.subscription is
    'Who hears of a monitor''s alerts: a channel (webhook, slack, email), a target, how often (immediate, daily, weekly) and the thresholds that must both hold.';

create index subscription_monitor_idx on sentinel_data.subscription (monitor_id);

create table sentinel_data.notification (
    id bigint generated always as identity primary key,
    subscription_id bigint not null references sentinel_data.subscription (id) on delete cascade,
    -- Immediate notifications tell of one alert event; digests of a period.
    alert_id bigint references sentinel_data.alert (id) on delete cascade,
    kind text not null,
    -- Receivers drop a message whose key they have seen (a delivery retried after a lost answer).
    idempotency_key text not null,
    payload jsonb not null,
    status text not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    created_at timestamptz not null default now(),
    delivered_at timestamptz,
    constraint notification_kind check (kind in ('opened', 'grew', 'closed', 'digest')),
    constraint notification_status check (status in ('pending', 'delivered', 'failed')),
    constraint notification_idempotency_key_unique unique (idempotency_key)
);

comment on table sentinel_data.notification is
    'The outbox: one message per subscription and alert event (or digest period), pending until delivered or failed for good.';

-- What the notifier claims: the pending ones that are due.
create index notification_due_idx on sentinel_data.notification (next_attempt_at)
    where status = 'pending';
create index notification_created_idx on sentinel_data.notification (id desc);
create index notification_alert_idx on sentinel_data.notification (alert_id);
create index notification_subscription_idx on sentinel_data.notification (subscription_id, id);

grant select, insert, update, delete on
    sentinel_data.subscription,
    sentinel_data.notification
to sentinel_app;
