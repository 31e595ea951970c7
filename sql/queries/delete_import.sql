-- Delete an import and the records it stored, with the no-op re-imports of the same bytes
-- (status unchanged, unchanged_of it), which would otherwise claim data that is gone. Imports
-- it had superseded stay superseded (their rows were replaced, not kept). Run after lock_imports,
-- so no import runs beside it.
-- params: import_id
-- row: DeletedImport (imports_deleted 0 when there is no such import)
with target as (
    select doomed.id
    from sentinel_data.billing_import as doomed
    where doomed.id = %(import_id)s
        or doomed.unchanged_of = %(import_id)s
),
-- The import's rows are its partitions: dropped, and subtracted from the rollups.
removed as (
    select sentinel_internal.detach_imports(array(select target.id from target)) as records
),
unlinked as (
    update sentinel_data.billing_import as earlier
    set superseded_by = null
    where earlier.superseded_by in (select target.id from target)
        and earlier.id not in (select target.id from target)
    returning earlier.id
),
dropped as (
    delete from sentinel_data.billing_import as doomed
    where doomed.id in (select target.id from target)
    returning doomed.id
)
select
    (select count(*) from dropped) as imports_deleted,
    (select removed.records from removed) as records_deleted
