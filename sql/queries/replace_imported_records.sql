-- A restated export replaces the earlier one: delete the rows that earlier imports stored for
-- the billing accounts and periods this import covers, and mark those imports superseded.
-- Runs in the import's transaction, so readers see the old rows until the new ones commit.
-- Records sent through the API (import_id null) are never touched.
-- params: import_id (the new import), accounts text[] and periods date[] (pairs, same length)
-- row: (replaced_rows)
with covered as (
    select
        scope.billing_account_id,
        scope.billing_period_start
    from unnest(%(accounts)s::text[], %(periods)s::date[])
        as scope (billing_account_id, billing_period_start)
),
-- Only imports whose accounts and periods overlap this one can hold such rows; their rows
-- are found through the import_id index rather than by scanning every record.
candidates as (
    select earlier.id
    from sentinel_data.billing_import as earlier
    where earlier.id <> %(import_id)s
        and earlier.status = 'imported'
        and earlier.billing_accounts && %(accounts)s::text[]
        and earlier.billing_periods && %(periods)s::date[]
),
removed as (
    delete from sentinel_data.billing_record as record
    using covered
    where record.import_id in (select candidates.id from candidates)
        and record.billing_account_id = covered.billing_account_id
        and record.billing_period_start = covered.billing_period_start
    returning record.import_id
),
superseded as (
    update sentinel_data.billing_import as earlier
    set superseded_by = %(import_id)s
    where earlier.id in (select removed.import_id from removed)
    returning earlier.id
)
select count(*) as replaced_rows
from removed
