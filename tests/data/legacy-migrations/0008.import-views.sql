-- Why: psql users and the API read the import history and the imported dimensions through the
-- contract schema, never the private tables; 0002's billing_records view stays as it was.
-- depends: 0007.export-dimensions

create view sentinel.imports as
select
    id,
    file_name,
    format,
    checksum,
    case
        when status = 'imported' and superseded_by is not null then 'superseded'
        else status
    end as status,
    row_count,
    replaced_rows,
    billing_periods,
    billing_accounts,
    unchanged_of,
    superseded_by,
    started_at,
    finished_at
from sentinel_data.billing_import;

comment on view sentinel.imports is
    'Import history of billing export files, one row per import (GET /api/v1/billing/imports).';
comment on column sentinel.imports.status is
    'imported; superseded (a later import of the same account and period replaced its rows); unchanged (same bytes as import unchanged_of, nothing stored).';
comment on column sentinel.imports.checksum is 'SHA-256 of the file, hex.';
comment on column sentinel.imports.row_count is 'Billing records the import stored.';
comment on column sentinel.imports.replaced_rows is
    'Records of earlier imports (same billing account and period) that this import replaced.';
comment on column sentinel.imports.billing_periods is 'First days of the billing periods in the file.';
comment on column sentinel.imports.billing_accounts is 'Payer / billing accounts in the file.';

create view sentinel.billing_line_items as
select
    id,
    service,
    cost,
    currency,
    "timestamp",
    region,
    account_id,
    charge_type,
    provider_charge_type,
    usage_type,
    billing_period_start,
    billing_account_id,
    import_id,
    tags,
    is_anomaly,
    created_at
from sentinel_data.billing_record;

comment on view sentinel.billing_line_items is
    'Every stored billing record with the dimensions exports carry (charge type, usage type, currency, billing period, import, tags).';
comment on column sentinel.billing_line_items.charge_type is
    'Normalised: usage, fee, purchase, tax, credit, refund, discount, adjustment, ...; records sent through the API are usage.';
comment on column sentinel.billing_line_items.provider_charge_type is
    'The export''s own charge type (CUR line item type, FOCUS ChargeCategory, Azure ChargeType).';
comment on column sentinel.billing_line_items.usage_type is 'What was consumed, as the provider names it.';
comment on column sentinel.billing_line_items.billing_period_start is 'First day of the invoice month.';
comment on column sentinel.billing_line_items.billing_account_id is 'Payer / billing account of the export.';
comment on column sentinel.billing_line_items.import_id is 'sentinel.imports.id; null for records sent through the API.';
comment on column sentinel.billing_line_items.tags is 'Resource tags as a JSON object.';
