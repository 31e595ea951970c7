-- Why: `sentinel serve` connected as the migrating user, who owns every table and can create
-- roles. The role sentinel_app holds only what the server does: read and write the data
-- tables it (and its triggers) change, nothing else; a login role granted sentinel_app runs
-- the server while migrations keep running as the owner. Roles are cluster-wide, so another
-- database on the same server may have created it already.
-- depends: 0015.api-keys

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'sentinel_app') then
        create role sentinel_app nologin nocreaterole nocreatedb;
    end if;
end
$$;

comment on role sentinel_app is
    'What sentinel serve needs and no more. grant sentinel_app to <login role>; then DATABASE_URL for that role.';

grant usage on schema sentinel_data to sentinel_app;
-- Written by the API: records (ingest, imports, deletions), the import history, API keys.
grant select, insert, update, delete on
    sentinel_data.billing_record,
    sentinel_data.billing_import,
    sentinel_data.api_key
to sentinel_app;
-- Written by the triggers on billing_record, which run with the rights of the writer.
grant select, insert, update, delete on
    sentinel_data.hourly_cost,
    sentinel_data.service_hourly_cost,
    sentinel_data.baseline_dirty,
    sentinel_data.service_totals
to sentinel_app;
-- No sequence grants: the tables use identity columns, which need only insert on the table.
-- No truncate: `sentinel reset` is an owner's command.
