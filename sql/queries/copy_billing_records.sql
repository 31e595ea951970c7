-- Bulk load of an export's rows into the table open_incoming_records made, fed by the importer
-- in CSV (nulls unquoted and empty, text quoted); the column order is
-- sentinel.importers.base.COPY_COLUMNS. The table has no index and no trigger yet, and it was
-- created in this (sub)transaction, so its rows can be written frozen: no later vacuum has to
-- rewrite every page of a month to mark it visible.
-- params: none (the rows are the COPY data)
-- row: none
copy sentinel_data.incoming_records (
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
) from stdin with (format csv, freeze)
