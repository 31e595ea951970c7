-- Open an import in the history (in the import's transaction, so a failed import leaves none).
-- An unchanged re-import is recorded as finished at once.
-- params: file_name, format, checksum, status ('imported' or 'unchanged'), unchanged_of (id or null)
-- row: BillingImport
insert into sentinel_data.billing_import (file_name, format, checksum, status, unchanged_of, finished_at)
values (
    %(file_name)s,
    %(format)s,
    %(checksum)s,
    %(status)s,
    %(unchanged_of)s,
    case when %(status)s = 'unchanged' then clock_timestamp() end
)
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
