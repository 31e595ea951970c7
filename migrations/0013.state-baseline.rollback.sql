-- Why: back to an empty database; this drops every stored record. The code schemas are dropped
-- before any rollback (src/sentinel/migrations.py). The reader role is cluster-wide: it is
-- dropped only when no other database on the server still uses it.
drop schema sentinel_data cascade;

do $$
begin
    drop role if exists sentinel_reader;
exception
    when dependent_objects_still_exist then
        raise notice 'sentinel_reader is still used by another database; keeping the role';
end
$$;
