-- The import history, newest first.
-- params: limit (rows to return)
-- row: BillingImport
select
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
from sentinel.imports
order by id desc
limit %(limit)s
