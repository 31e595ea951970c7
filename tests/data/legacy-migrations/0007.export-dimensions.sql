-- Why: real billing exports (AWS CUR, FOCUS, Azure) carry dimensions users group and filter by
-- (charge type, usage type, currency, billing period, payer account, tags), and an import of a
-- restated export must replace the rows of the earlier one. This keeps each record's import and
-- the import history beside the contract's fields; API-created records keep working unchanged.
-- depends: 0003.reader-role

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

alter table sentinel_data.billing_record
    add column charge_type text not null default 'usage',
    add column provider_charge_type text,
    add column usage_type text,
    add column currency text not null default 'USD',
    add column billing_period_start date,
    add column billing_account_id text,
    add column import_id bigint,
    add column tags jsonb;

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

-- Export account ids can be longer than the API's 64 characters (an Oracle OCID is about 90).
alter table sentinel_data.billing_record
    drop constraint billing_record_account_id_length,
    add constraint billing_record_account_id_length check (length(account_id) between 1 and 256);

-- No foreign key to billing_import: it would fire a trigger for every copied row, and the
-- importer writes import_id itself, in the transaction that creates the billing_import row.
-- The index finds an earlier import's rows when a restated export replaces them; import ids
-- grow, so COPY appends to its right edge (an index on the account and period, all equal
-- within a file, cost four times as much per copied row).
create index billing_record_import_idx on sentinel_data.billing_record (import_id)
    where import_id is not null;
