-- Bulk load of an export's rows, fed by the importer in CSV (nulls unquoted and empty, text
-- quoted); the column order is sentinel.importers.base.COPY_COLUMNS.
-- params: none (the rows are the COPY data)
-- row: none
copy sentinel_data.billing_record (
    service,
    cost,
    "timestamp",
    region,
    account_id,
    charge_type,
    provider_charge_type,
    usage_type,
    currency,
    billing_period_start,
    billing_account_id,
    tags,
    import_id
) from stdin with (format csv)
