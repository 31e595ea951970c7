-- Why: people in psql and dashboards get a role that reads the contract views and nothing else:
-- no writes, no access to the private tables. Roles are cluster-wide, so another database on the
-- same server may have created it already.
-- depends: 0002.statistics-views

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'sentinel_reader') then
        create role sentinel_reader nologin;
    end if;
end
$$;

comment on role sentinel_reader is
    'Read-only access to the views of schema sentinel. grant sentinel_reader to <login role>;';

grant usage on schema sentinel to sentinel_reader;
grant select on all tables in schema sentinel to sentinel_reader;
grant execute on all functions in schema sentinel to sentinel_reader;
-- Views added by later migrations (run by the same owner) are readable too.
alter default privileges in schema sentinel grant select on tables to sentinel_reader;
