-- Why: every billing record Sentinel receives is kept exactly as sent, in a private schema that
-- only the views of the "sentinel" schema (migration 0002) expose to readers.
-- depends:

create schema sentinel_data;
comment on schema sentinel_data is
    'Private storage of Sentinel. Read the views in schema sentinel instead.';
revoke all on schema sentinel_data from public;

create table sentinel_data.billing_record (
    id bigint generated always as identity primary key,
    service text not null,
    -- Money is exact in storage; statistics cast to double precision.
    cost numeric not null,
    "timestamp" timestamptz not null,
    region text not null,
    account_id text not null,
    is_anomaly boolean not null default false,
    created_at timestamptz not null default now(),
    -- The API enforces the same limits with a clear message; these keep psql writers honest.
    constraint billing_record_cost_finite check (cost not in ('NaN', 'Infinity', '-Infinity')),
    constraint billing_record_service_length check (length(service) between 1 and 128),
    constraint billing_record_region_length check (length(region) between 1 and 64),
    constraint billing_record_account_id_length check (length(account_id) between 1 and 64)
);

comment on table sentinel_data.billing_record is
    'One billing line item as sent by a client, an import or the mock seed.';
comment on column sentinel_data.billing_record.is_anomaly is
    'The sender''s own label (the mock seed sets it on injected spikes); detection never writes it.';

-- No secondary index here: each one costs every insert a few microseconds, and the indexes
-- that later migrations add for the detectors lead with service, which serves the service
-- filter of the list endpoint as well.
