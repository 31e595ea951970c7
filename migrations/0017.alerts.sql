-- Why: Sentinel computed anomalies only when asked, and told nobody. Monitors say what to
-- watch; alerts are the anomaly events they raised, kept with a stable id so that people can
-- rate them and notifications can refer to them; alert_touch is the queue of buckets new data
-- changed, so that evaluation looks only at those; alert_event records each change of an alert
-- that may notify someone (the outbox of notifications reads it).
-- depends: 0016.app-role

create table sentinel_data.monitor (
    id bigint generated always as identity primary key,
    name text not null,
    -- Null: the recommended default of sentinel.detector_defaults (one home for defaults).
    method text,
    granularity text not null default 'hour',
    group_by text[] not null default '{service}',
    baseline interval,
    threshold double precision,
    min_impact double precision,
    min_pct double precision,
    direction text not null default 'up',
    -- {"service": [...], "account_id": [...], "region": [...]}: which series it watches.
    filter jsonb not null default '{}',
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint monitor_name_unique unique (name),
    constraint monitor_name_length check (length(name) between 1 and 128),
    constraint monitor_method check (method in ('trailing', 'robust', 'seasonal')),
    constraint monitor_granularity check (granularity in ('hour', 'day')),
    constraint monitor_group_by check (
        cardinality(group_by) between 1 and 3
        and group_by <@ array['service', 'account_id', 'region']
    ),
    constraint monitor_baseline check (baseline between interval '1 hour' and interval '366 days'),
    constraint monitor_threshold check (threshold >= 0 and threshold < 'Infinity'),
    constraint monitor_min_impact check (min_impact >= 0 and min_impact < 'Infinity'),
    constraint monitor_min_pct check (min_pct >= 0 and min_pct < 'Infinity'),
    constraint monitor_direction check (direction in ('up', 'down', 'both')),
    constraint monitor_filter check (jsonb_typeof(filter) = 'object')
);

comment on table sentinel_data.monitor is
    'What to watch: a detector (method, granularity, group_by, window, threshold, direction, materiality) over the series the filter selects.';

create table sentinel_data.alert (
    id bigint generated always as identity primary key,
    monitor_id bigint not null references sentinel_data.monitor (id) on delete cascade,
    -- The series key: the monitor's group columns; a column outside them is null.
    service text,
    account_id text,
    region text,
    started_at timestamptz not null,
    last_flagged_at timestamptz not null,
    ended_at timestamptz,
    status text not null default 'open',
    bucket_count integer not null,
    peak_score double precision,
    actual double precision not null,
    expected double precision not null,
    total_impact double precision not null,
    max_impact double precision not null,
    impact_pct double precision,
    root_causes jsonb not null default '[]',
    method text not null,
    granularity text not null,
    -- The total impact last announced (opened or grew): an alert notifies again only once its
    -- impact has doubled since, never once per bucket.
    notified_impact double precision not null,
    feedback text,
    -- After feedback no or planned, the series stays quiet until then (series time).
    quiet_until timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint alert_status check (status in ('open', 'closed')),
    constraint alert_feedback check (feedback in ('yes', 'no', 'planned')),
    constraint alert_closed_has_end check ((status = 'closed') = (ended_at is not null))
);

comment on table sentinel_data.alert is
    'Anomaly events raised by monitors: a run of consecutive flagged buckets of one series, open until the series has a normal bucket.';

-- One open alert per monitor and series (nulls are the same key here).
create unique index alert_open_series_idx
    on sentinel_data.alert (monitor_id, service, account_id, region) nulls not distinct
    where status = 'open';
create index alert_series_idx
    on sentinel_data.alert (monitor_id, service, account_id, region, started_at);
create index alert_started_idx on sentinel_data.alert (started_at desc, id desc);

create table sentinel_data.alert_feedback (
    id bigint generated always as identity primary key,
    alert_id bigint not null references sentinel_data.alert (id) on delete cascade,
    verdict text not null,
    note text,
    -- The API key that sent it (null: the CLI, or auth off).
    key_name text,
    created_at timestamptz not null default now(),
    constraint alert_feedback_verdict check (verdict in ('yes', 'no', 'planned')),
    constraint alert_feedback_note_length check (length(note) <= 2000)
);

comment on table sentinel_data.alert_feedback is
    'What people said of an alert: yes (a real anomaly), no (a false alarm), planned (expected spend).';

create index alert_feedback_alert_idx on sentinel_data.alert_feedback (alert_id, created_at);

create table sentinel_data.alert_touch (
    service text primary key,
    first_hour timestamptz not null,
    last_hour timestamptz not null
);

comment on table sentinel_data.alert_touch is
    'Per service, the first and last hour changed since the monitors last evaluated it; emptied by sentinel.evaluate_alerts().';

create table sentinel_data.alert_event (
    id bigint generated always as identity primary key,
    alert_id bigint not null references sentinel_data.alert (id) on delete cascade,
    kind text not null,
    total_impact double precision not null,
    created_at timestamptz not null default now(),
    constraint alert_event_kind check (kind in ('opened', 'grew', 'closed'))
);

comment on table sentinel_data.alert_event is
    'Each change of an alert worth telling someone: opened, grew (its impact doubled since last told), closed.';

create index alert_event_alert_idx on sentinel_data.alert_event (alert_id, id);

-- A new user gets alerts without configuring anything: every service, the recommended detector,
-- increases only.
insert into sentinel_data.monitor (name) values ('all services');

grant select, insert, update, delete on
    sentinel_data.monitor,
    sentinel_data.alert,
    sentinel_data.alert_feedback,
    sentinel_data.alert_touch,
    sentinel_data.alert_event
to sentinel_app;
