-- The empty table an import COPYs its rows into before they become partitions of
-- billing_record (sql/schema/15_import_partitions.sql). Run after lock_imports.
-- params: none
-- row: none
select sentinel_internal.open_incoming_records()
