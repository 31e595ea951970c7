-- Close an import in the history with what it stored.
-- params: import_id, checksum (an upload's is known only once read whole), row_count, replaced_rows, periods date[], accounts text[]
-- row: BillingImport
update sentinel_data.billing_import
set
    checksum = %(checksum)s,
    row_count = %(row_count)s,
    replaced_rows = %(replaced_rows)s,
    billing_periods = %(periods)s::date[],
    billing_accounts = %(accounts)s::text[],
    finished_at = clock_timestamp()
where id = %(import_id)s
returning
    id,
    file_name,
    format,
    checksum,
    status,
    row_count,
    replaced_rows,
    billing_periods,
    billing_accounts,
    unchanged_of,
    superseded_by,
    started_at,
    finished_at
