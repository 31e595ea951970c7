-- Why: undo 0020: every partition's rows back into one plain table, with the indexes, the
-- identity (continuing after the last id) and the grants it had.
create table sentinel_data.billing_record_plain (
    like sentinel_data.billing_record including defaults including constraints including comments
);
insert into sentinel_data.billing_record_plain select * from sentinel_data.billing_record;

-- Dropping the partitioned table drops every partition with it.
drop table sentinel_data.billing_record;
drop table sentinel_data.import_partition;
drop table sentinel_data.account_partition;
drop sequence sentinel_data.import_partition_seq;

alter table sentinel_data.billing_record_plain rename to billing_record;
alter table sentinel_data.billing_record add primary key (id);
do $$
begin
    execute format(
        'alter table sentinel_data.billing_record alter column id add generated always as identity (start with %s)',
        coalesce((select max(id) from sentinel_data.billing_record), 0) + 1
    );
end
$$;
create index billing_record_service_timestamp_idx
    on sentinel_data.billing_record (service, "timestamp");
create index billing_record_service_cost_idx on sentinel_data.billing_record (service, cost);
create index billing_record_import_idx on sentinel_data.billing_record (import_id)
    where import_id is not null;
comment on table sentinel_data.billing_record is
    'One billing line item as sent by a client, an import or the mock seed.';
grant select, insert, update, delete on sentinel_data.billing_record to sentinel_app;
