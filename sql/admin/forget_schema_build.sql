-- The code schemas were dropped (a rollback): the next migrate must build them again.
delete from sentinel_data.schema_build
