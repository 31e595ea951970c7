-- Why: imports by partition exchange (issue 13). A restated export replaced its billing period
-- by deleting every row of the earlier import and inserting every new one, through the
-- indexes and the rollup triggers: 7 s for three CUR months, 36 minutes a day for a company
-- whose CUR holds 100M line items. Imported line items now live in one partition per billing
-- account and billing period. An import loads a table of its own with no index, indexes it,
-- and swaps it in for the earlier import of the same period in one short transaction
-- (sentinel_internal.attach_import, sql/schema/15_import_partitions.sql). Records without a
-- billing account (the REST API, the seed, psql writers) keep a partition of their own: the
-- default partition, whose check constraint tells PostgreSQL that no imported row can be in
-- it, so attaching a period never scans it.
--
-- Two levels of list partitions: one per billing account (the records without one, null, in
-- billing_record_api), each split into one per billing period. Attaching a period then locks
-- only its account's table, in a mode that readers and writers pass: a first import blocks
-- nobody. (One level of range partitions over both columns needs a default partition for the
-- nulls, and every attach takes an exclusive lock on the default partition, which would stop
-- REST ingest and every read until the import commits.) A partitioned table cannot have a
-- primary key that leaves out its partition columns, so each partition has its own primary key
-- on id; the parent's identity sequence still hands out every id. Existing rows stay where
-- they are: the table becomes billing_record_api, after the imported rows have moved to
-- partitions of their own.
-- depends: 0019.detection-v2

alter table sentinel_data.billing_record rename to billing_record_api;
alter index sentinel_data.billing_record_pkey rename to billing_record_api_pkey;
alter index sentinel_data.billing_record_service_timestamp_idx
    rename to billing_record_api_service_timestamp_idx;
alter index sentinel_data.billing_record_service_cost_idx rename to billing_record_api_service_cost_idx;
-- Replacements and deletions of imports now drop partitions; nothing else read this index.
drop index sentinel_data.billing_record_import_idx;
-- The new parent's identity takes over (its sequence starts after the last id below).
alter table sentinel_data.billing_record_api alter column id drop identity;

create table sentinel_data.billing_record (
    id bigint generated always as identity,
    service text not null,
    cost numeric not null,
    "timestamp" timestamptz not null,
    region text not null,
    account_id text not null,
    is_anomaly boolean not null default false,
    created_at timestamptz not null default now(),
    charge_type text not null default 'usage',
    provider_charge_type text,
    usage_type text,
    currency text not null default 'USD',
    billing_period_start date,
    billing_account_id text,
    import_id bigint,
    tags jsonb,
    constraint billing_record_cost_finite check (cost not in ('NaN', 'Infinity', '-Infinity')),
    constraint billing_record_service_length check (length(service) between 1 and 128),
    constraint billing_record_region_length check (length(region) between 1 and 64),
    constraint billing_record_account_id_length check (length(account_id) between 1 and 256)
) partition by list (billing_account_id);

comment on table sentinel_data.billing_record is
    'One billing line item as sent by a client, an import or the mock seed; partitioned by billing account, then period (sentinel_data.import_partition), records without a billing account in billing_record_api.';
comment on column sentinel_data.billing_record.is_anomaly is
    'The sender''s own label (the mock seed sets it on injected spikes); detection never writes it.';
comment on column sentinel_data.billing_record.charge_type is
    'Normalised charge type: usage, fee, purchase, tax, credit, refund, discount, adjustment, ...; detectors judge usage by default.';
comment on column sentinel_data.billing_record.provider_charge_type is
    'The export''s own charge type (CUR line item type such as DiscountedUsage or RIFee, FOCUS ChargeCategory, Azure ChargeType).';
comment on column sentinel_data.billing_record.usage_type is
    'What was consumed, as the provider names it (CUR usage type, Azure meter); null when the format has none.';
comment on column sentinel_data.billing_record.billing_period_start is
    'First day of the invoice month the charge belongs to (exports only).';
comment on column sentinel_data.billing_record.billing_account_id is
    'Payer / billing account of the export (exports only); with billing_period_start, the partition the record lives in.';
comment on column sentinel_data.billing_record.import_id is
    'The import that stored the record (sentinel.imports); null for records sent through the API.';
comment on column sentinel_data.billing_record.tags is
    'User and provider tags of the resource as a JSON object; null when it has none.';

-- Created on the parent before any partition is attached: attaching the tables below adopts
-- their equal indexes instead of building new ones.
create index billing_record_service_timestamp_idx
    on sentinel_data.billing_record (service, "timestamp");
create index billing_record_service_cost_idx on sentinel_data.billing_record (service, cost);

-- The partitioned table of each billing account, and the partition of each of its periods
-- with the import that stored it: what a re-import of the period replaces and what deleting
-- the import drops. No foreign key to billing_import: the functions of
-- sql/schema/15_import_partitions.sql keep them in step, and a truncate of billing_import
-- alone (tests, psql) must not need these tables named too.
create table sentinel_data.account_partition (
    billing_account_id text primary key,
    table_name text not null unique
);

create table sentinel_data.import_partition (
    billing_account_id text not null references sentinel_data.account_partition,
    billing_period_start date not null,
    import_id bigint not null,
    table_name text not null unique,
    primary key (billing_account_id, billing_period_start)
);

create index import_partition_import_idx on sentinel_data.import_partition (import_id);

comment on table sentinel_data.account_partition is
    'One row per billing account with imported records: its partition of billing_record, itself partitioned by billing period.';
comment on table sentinel_data.import_partition is
    'One row per partition of billing_record holding an import''s rows for a billing account and period.';
comment on column sentinel_data.import_partition.table_name is 'The partition, in schema sentinel_data.';

-- Partition names: billing_record_<n> for an account, billing_record_<n>_<YYYYMM> for a
-- period. Not the import's id, which restarts when billing_import is truncated with restart
-- identity while partitions remain.
create sequence sentinel_data.import_partition_seq;

-- Move the imported rows of each billing account and period to a partition of their own.
do $$
declare
    pair record;
    account_table text;
    part text;
begin
    for pair in
        select billing_account_id, billing_period_start, max(import_id) as import_id
        from sentinel_data.billing_record_api
        where billing_account_id is not null
        group by billing_account_id, billing_period_start
        order by 1, 2
    loop
        select listed.table_name into account_table
        from sentinel_data.account_partition as listed
        where listed.billing_account_id = pair.billing_account_id;
        if account_table is null then
            account_table := format('billing_record_%s', nextval('sentinel_data.import_partition_seq'));
            execute format(
                'create table sentinel_data.%I partition of sentinel_data.billing_record
                 for values in (%L) partition by list (billing_period_start)',
                account_table, pair.billing_account_id
            );
            insert into sentinel_data.account_partition (billing_account_id, table_name)
            values (pair.billing_account_id, account_table);
        end if;
        part := format(
            'billing_record_%s_%s',
            nextval('sentinel_data.import_partition_seq'),
            to_char(pair.billing_period_start, 'YYYYMM')
        );
        execute format(
            'create table sentinel_data.%I (like sentinel_data.billing_record_api including defaults including constraints)',
            part
        );
        execute format(
            'insert into sentinel_data.%I select * from sentinel_data.billing_record_api
             where billing_account_id = $1 and billing_period_start = $2',
            part
        ) using pair.billing_account_id, pair.billing_period_start;
        execute format('alter table sentinel_data.%I add primary key (id)', part);
        execute format(
            'alter table sentinel_data.%I attach partition sentinel_data.%I for values in (%L)',
            account_table, part, pair.billing_period_start
        );
        insert into sentinel_data.import_partition
            (billing_account_id, billing_period_start, import_id, table_name)
        values (pair.billing_account_id, pair.billing_period_start, pair.import_id, part);
    end loop;
end
$$;

delete from sentinel_data.billing_record_api where billing_account_id is not null;

-- The check lets the attach skip its scan of the table.
alter table sentinel_data.billing_record_api
    add constraint billing_record_api_no_account check (billing_account_id is null);
alter table sentinel_data.billing_record
    attach partition sentinel_data.billing_record_api for values in (null);

comment on table sentinel_data.billing_record_api is
    'The partition of billing_record for records without a billing account: the REST API''s, the seed''s and psql writers''.';

do $$
begin
    perform setval(
        pg_get_serial_sequence('sentinel_data.billing_record', 'id'),
        coalesce((select max(id) from sentinel_data.billing_record), 0) + 1,
        false
    );
end
$$;

-- The server writes records through the parent (no grant on the partitions themselves). The
-- importer's staging table takes its ids from the parent's sequence before it is attached.
revoke all on sentinel_data.billing_record_api from sentinel_app;
grant select, insert, update, delete on sentinel_data.billing_record to sentinel_app;
grant usage on sequence sentinel_data.billing_record_id_seq to sentinel_app;
