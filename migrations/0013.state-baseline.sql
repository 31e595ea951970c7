-- Why: the state that migrations 0001-0012 built (tables, indexes, constraints, the reader role),
-- squashed into one migration for fresh installs, without the views and functions those
-- migrations also carried: the current code of the database lives in sql/schema/ and is rebuilt
-- whenever it changes (src/sentinel/migrations.py). A database built by 0001-0012 already has
-- exactly this state; `sentinel migrate` marks this migration applied there instead of running it.
-- depends:

create schema sentinel_data;
comment on schema sentinel_data is
    'Private storage of Sentinel. Read the views in schema sentinel instead.';
revoke all on schema sentinel_data from public;

-- People in psql and dashboards get a role that reads the contract views and nothing else (its
-- grants are issued with the views, in sql/schema/). Roles are cluster-wide, so another database
-- on the same server may have created it already.
do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'sentinel_reader') then
        create role sentinel_reader nologin;
    end if;
end
$$;

comment on role sentinel_reader is
    'Read-only access to the views of schema sentinel. grant sentinel_reader to <login role>;';

-- Every billing record Sentinel receives, kept exactly as sent.
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
    -- The dimensions real exports carry (AWS CUR, FOCUS, Azure); API records are usage in USD.
    charge_type text not null default 'usage',
    provider_charge_type text,
    usage_type text,
    currency text not null default 'USD',
    billing_period_start date,
    billing_account_id text,
    import_id bigint,
    tags jsonb,
    -- The API enforces the same limits with a clear message; these keep psql writers honest.
    constraint billing_record_cost_finite check (cost not in ('NaN', 'Infinity', '-Infinity')),
    constraint billing_record_service_length check (length(service) between 1 and 128),
    constraint billing_record_region_length check (length(region) between 1 and 64),
    -- Export account ids can be longer than the API's 64 characters (an Oracle OCID is about 90).
    constraint billing_record_account_id_length check (length(account_id) between 1 and 256)
);

comment on table sentinel_data.billing_record is
    'One billing line item as sent by a client, an import or the mock seed.';
comment on column sentinel_data.billing_record.is_anomaly is
    'The sender''s own label (the mock seed sets it on injected spikes); detection never writes it.';
comment on column sentinel_data.billing_record.charge_type is
    'Normalised charge type: usage, fee, purchase, tax, credit, refund, discount, adjustment, ...; detectors judge usage by default.';
comment on column sentinel_data.billing_record.provider_charge_type is
    'The export''s own charge type (CUR line item type such as DiscountedUsage or RIFee, FOCUS ChargeCategory, Azure ChargeType).';
comment on column sentinel_data.billing_record.usage_type is
    'What was consumed, as the provider names it (CUR usage type, Azure meter); null when the format has none.';
comment on column sentinel_data.billing_record.billing_period_start is
    'First day of the invoice month the charge belongs to (exports only).';
comment on column sentinel_data.billing_record.billing_account_id is
    'Payer / billing account of the export (exports only); with billing_period_start, what a re-import replaces.';
comment on column sentinel_data.billing_record.import_id is
    'The import that stored the record (sentinel.imports); null for records sent through the API.';
comment on column sentinel_data.billing_record.tags is
    'User and provider tags of the resource as a JSON object; null when it has none.';

-- The ingest verdict and record-level detectors read a service's records in time order; the
-- original z-score rule range-scans (service, cost) for the outliers.
create index billing_record_service_timestamp_idx
    on sentinel_data.billing_record (service, "timestamp");
create index billing_record_service_cost_idx on sentinel_data.billing_record (service, cost);
-- No foreign key to billing_import: it would fire a trigger for every copied row, and the
-- importer writes import_id itself, in the transaction that creates the billing_import row.
-- The index finds an earlier import's rows when a restated export replaces them; import ids
-- grow, so COPY appends to its right edge.
create index billing_record_import_idx on sentinel_data.billing_record (import_id)
    where import_id is not null;

create table sentinel_data.billing_import (
    id bigint generated always as identity primary key,
    file_name text not null,
    format text not null,
    checksum text not null,
    status text not null default 'imported',
    row_count bigint not null default 0,
    replaced_rows bigint not null default 0,
    billing_periods date[] not null default '{}',
    billing_accounts text[] not null default '{}',
    unchanged_of bigint references sentinel_data.billing_import (id),
    superseded_by bigint references sentinel_data.billing_import (id),
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    constraint billing_import_status check (status in ('imported', 'unchanged'))
);

comment on table sentinel_data.billing_import is
    'One import of a billing export file (CLI or upload): what it was and what it stored.';
comment on column sentinel_data.billing_import.checksum is
    'SHA-256 of the file as received, hex; an identical current import makes a re-import a no-op.';
comment on column sentinel_data.billing_import.status is
    'imported: rows stored; unchanged: same bytes as the current import unchanged_of, nothing stored.';
comment on column sentinel_data.billing_import.billing_periods is
    'Billing periods (first day) the file holds; with billing_accounts, the scope a re-import replaces.';
comment on column sentinel_data.billing_import.superseded_by is
    'The later import that replaced (some of) this import''s rows.';

-- Finding the current import of a file again (re-import of identical bytes).
create index billing_import_checksum_idx on sentinel_data.billing_import (checksum);

-- Running sums for the original z-score rule: its mean and spread in microseconds instead of a
-- window over every record. Exact (numeric), so deletes subtract back to exactly what remains.
create table sentinel_data.service_totals (
    service text primary key,
    record_count bigint not null,
    cost_sum numeric not null,
    cost_sum_squares numeric not null
);

comment on table sentinel_data.service_totals is
    'Running count, sum and sum of squares of cost per service, maintained by triggers on billing_record.';

-- Hourly sums of usage, kept by statement triggers as records arrive, so that the detectors
-- judge spend per hour or day without regrouping a year of records per request.
create table sentinel_data.hourly_cost (
    service text not null,
    account_id text not null,
    region text not null,
    hour timestamptz not null,
    cost numeric not null,
    record_count bigint not null,
    primary key (service, account_id, region, hour)
);

comment on table sentinel_data.hourly_cost is
    'Sum of billing_record.cost of usage (charge_type usage) per service, account, region and UTC hour; maintained by triggers.';

-- The default detectors group by service alone: a second rollup, with the stored baselines of
-- the default calls, so that they read one row per hour instead of recomputing a year of
-- moving statistics and medians per request. The triggers only mark changed hours (in
-- baseline_dirty); sentinel.refresh_baselines() recomputes them.
create table sentinel_data.service_hourly_cost (
    service text not null,
    hour timestamptz not null,
    cost numeric not null,
    record_count bigint not null,
    baseline_count bigint not null default 0,
    baseline_mean double precision,
    baseline_stddev double precision,
    seasonal_ratio double precision,
    seasonal_count bigint not null default 0,
    seasonal_shape double precision,
    seasonal_expected double precision,
    seasonal_spread double precision,
    primary key (service, hour)
);

comment on table sentinel_data.service_hourly_cost is
    'Sum of billing_record.cost of usage (charge_type usage) per service and UTC hour (maintained by triggers), with its stored trailing and seasonal baselines (current once sentinel.refresh_baselines() has run for the hours in baseline_dirty).';
comment on column sentinel_data.service_hourly_cost.baseline_count is
    'Hours of the same service in the 7 days before this hour (this hour excluded).';
comment on column sentinel_data.service_hourly_cost.baseline_mean is
    'avg(cost) over those hours, computed exactly in numeric then cast; null when there are none.';
comment on column sentinel_data.service_hourly_cost.baseline_stddev is
    'stddev_pop(cost) over those hours, computed exactly in numeric then cast; null when there are none.';
comment on column sentinel_data.service_hourly_cost.seasonal_ratio is
    'cost / baseline_mean: this hour against its own trailing week; null when that mean is null or 0.';
comment on column sentinel_data.service_hourly_cost.seasonal_count is
    'Hours of the same hour of day and kind of day (weekday, weekend) in the 28 days before with a ratio.';
comment on column sentinel_data.service_hourly_cost.seasonal_shape is
    'Median seasonal_ratio of those hours; null when there are none or it is 0.';
comment on column sentinel_data.service_hourly_cost.seasonal_expected is
    'seasonal_shape times the level (median cost / seasonal_shape over the day before).';
comment on column sentinel_data.service_hourly_cost.seasonal_spread is
    'greatest(|expected| * robust spread of the relative residuals of the 7 whole UTC days before the hour''s day, sqrt(|expected|) * robust spread of their residuals / sqrt(|expected|), robust spread of the same hours'' absolute residuals over 28 days).';

create table sentinel_data.baseline_dirty (
    service text primary key,
    first_hour timestamptz not null,
    last_hour timestamptz not null
);

comment on table sentinel_data.baseline_dirty is
    'Per service, the first and last hour changed since its stored baselines were last refreshed; emptied by sentinel.refresh_baselines().';
