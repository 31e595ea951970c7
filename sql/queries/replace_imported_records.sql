-- Swap the rows COPYd into incoming_records in as the partitions of the billing accounts and
-- periods this import covers, replacing the partitions earlier imports stored for them (those
-- imports become superseded), and adjust the rollups by the difference. Runs in the import's
-- transaction, so readers see the old rows until the new ones commit. Records sent through
-- the API live in a partition of their own and are never touched.
-- params: import_id (the new import), accounts text[] and periods date[] (pairs, same length)
-- row: (replaced_rows)
select sentinel_internal.attach_import(%(import_id)s, %(accounts)s::text[], %(periods)s::date[])
    as replaced_rows
