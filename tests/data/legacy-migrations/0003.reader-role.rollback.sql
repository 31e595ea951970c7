-- Why: undo 0003. The role is dropped only when no other database on the server still uses it.
alter default privileges in schema sentinel revoke select on tables from sentinel_reader;
revoke execute on all functions in schema sentinel from sentinel_reader;
revoke select on all tables in schema sentinel from sentinel_reader;
revoke usage on schema sentinel from sentinel_reader;

do $$
begin
    drop role if exists sentinel_reader;
exception
    when dependent_objects_still_exist then
        raise notice 'sentinel_reader is still used by another database; keeping the role';
end
$$;
