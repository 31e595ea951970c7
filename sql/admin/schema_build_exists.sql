-- Whether the table of the last code build exists yet (migration 0014).
-- row: found boolean
select to_regclass('sentinel_data.schema_build') is not null as found
