-- Why: imports by partition exchange. The rows an export holds for a billing account and
-- period live in a partition of their own: billing_record is partitioned by billing account
-- (sentinel_data.account_partition), each account's table by billing period
-- (sentinel_data.import_partition), migration 0020. An import, in its one transaction:
--   1. COPYs the file into sentinel_data.incoming_records, a table with no index, no trigger,
--      and nobody reading it (open_incoming_records);
--   2. splits it by billing account and period when the file holds more than one, indexes
--      each part and adds the check that proves its partition bound, so attaching it scans
--      nothing (attach_import, before any lock that readers wait for);
--   3. swaps: detaches and drops the earlier import's partitions of the same periods, attaches
--      the new ones, and adds the difference of the two to the rollups in one set-based pass
--      (03_rollups.sql). Readers see the old partition until the commit and the new one after
--      it, never both, never neither; alerts and baselines see one change. Attaching a first
--      period blocks no reader or writer; replacing one holds the account's table exclusively
--      from the swap to the commit.
-- A restated month costs one load, where it cost a delete of every old row and an insert of
-- every new one through the indexes and triggers. Deleting an import drops its partitions the
-- same way (detach_imports). These functions run as the owner of billing_record (attach and
-- detach need it); the server's role may only call them.

create function sentinel_internal.open_incoming_records()
returns void
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
-- No "does not exist, skipping" notice to every importing client.
set client_min_messages = warning
as $$
begin
    -- Imports run one at a time (lock_imports): one name serves them all.
    drop table if exists sentinel_data.incoming_records;
    create table sentinel_data.incoming_records (
        like sentinel_data.billing_record including defaults including constraints
    );
    -- A partition's ids come from the parent's identity; this table is not one yet.
    execute format(
        'alter table sentinel_data.incoming_records alter column id set default nextval(%L)',
        pg_get_serial_sequence('sentinel_data.billing_record', 'id')
    );
    grant insert on sentinel_data.incoming_records to sentinel_app;
end
$$;

comment on function sentinel_internal.open_incoming_records() is
    'Creates the empty sentinel_data.incoming_records that an import COPYs its rows into.';

-- The partitioned table of a billing account's periods, created on its first import. It is
-- created apart and then attached: create table ... partition of would lock billing_record
-- exclusively, the attach in a mode that readers and writers pass.
create function sentinel_internal.account_table(account text)
returns text
language plpgsql
as $$
declare
    found_table text;
begin
    select listed.table_name into found_table
    from sentinel_data.account_partition as listed
    where listed.billing_account_id = account;
    if found_table is null then
        found_table := format('billing_record_%s', nextval('sentinel_data.import_partition_seq'));
        execute format(
            'create table sentinel_data.%I (like sentinel_data.billing_record including defaults including constraints)
             partition by list (billing_period_start)',
            found_table
        );
        execute format(
            'alter table sentinel_data.billing_record attach partition sentinel_data.%I for values in (%L)',
            found_table, account
        );
        insert into sentinel_data.account_partition (billing_account_id, table_name)
        values (account, found_table);
    end if;
    return found_table;
end
$$;

-- Detach and drop the partition of a billing account's period, if there is one; returns what
-- its rows had added to the rollups, negated. Lock first, then touch rollup rows: a writer
-- holds its lock on the records while it upserts rollup rows, so the other order could
-- deadlock with it. The exclusive lock on the account's table waits for the statements
-- reading it and holds new ones until the commit.
create function sentinel_internal.drop_import_partition(account text, period date)
returns sentinel_internal.record_bucket[]
language plpgsql
as $$
declare
    listed sentinel_data.import_partition;
    account_table text := sentinel_internal.account_table(account);
    removed sentinel_internal.record_bucket[];
begin
    execute format('lock table sentinel_data.%I in access exclusive mode', account_table);
    delete from sentinel_data.import_partition as stored
    where stored.billing_account_id = account and stored.billing_period_start = period
    returning stored.* into listed;
    if listed is null then
        return '{}';
    end if;
    execute sentinel_internal.record_buckets_sql(format('sentinel_data.%I', listed.table_name), -1)
        into removed;
    execute format(
        'alter table sentinel_data.%I detach partition sentinel_data.%I',
        account_table, listed.table_name
    );
    execute format('drop table sentinel_data.%I', listed.table_name);
    return removed;
end
$$;

-- Split incoming_records into one table per billing account and period of the import, each
-- indexed as the parent's partitions are and checked against its bound. Returns their names,
-- in the order of the pairs.
create function sentinel_internal.prepare_import_partitions(accounts text[], periods date[])
returns text[]
language plpgsql
as $$
declare
    pair record;
    part text;
    parts text[] := '{}';
begin
    for pair in
        select scope.account, scope.period
        from unnest(accounts, periods) with ordinality as scope (account, period, n)
        order by scope.n
    loop
        part := format(
            'billing_record_%s_%s',
            nextval('sentinel_data.import_partition_seq'),
            to_char(pair.period, 'YYYYMM')
        );
        if cardinality(accounts) = 1 then
            execute format('alter table sentinel_data.incoming_records rename to %I', part);
        else
            execute format(
                'create table sentinel_data.%I (like sentinel_data.incoming_records including defaults including constraints)',
                part
            );
            execute format(
                'insert into sentinel_data.%I select * from sentinel_data.incoming_records
                 where billing_account_id = $1 and billing_period_start = $2',
                part
            ) using pair.account, pair.period;
        end if;
        -- The bound in the very form of the partition constraint, which PostgreSQL then
        -- takes as proven: the attach under the lock scans nothing.
        execute format(
            'alter table sentinel_data.%I add primary key (id), add constraint %I check (
                billing_account_id is not null and billing_account_id = %L
                and billing_period_start is not null and billing_period_start = %L)',
            part, part || '_bound', pair.account, pair.period
        );
        -- The parent's indexes (migration 0020): the attach adopts these instead of building.
        execute format('create index on sentinel_data.%I (service, "timestamp")', part);
        execute format('create index on sentinel_data.%I (service, cost)', part);
        parts := parts || part;
    end loop;
    if cardinality(accounts) > 1 then
        drop table sentinel_data.incoming_records;
    end if;
    return parts;
end
$$;

create function sentinel_internal.attach_import(import_id bigint, accounts text[], periods date[])
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
-- Grouping a month of records into buckets by hash, not by a sort of its text keys (2x).
set work_mem = '64MB'
as $$
declare
    added sentinel_internal.record_bucket[];
    removed sentinel_internal.record_bucket[] := '{}';
    dropped sentinel_internal.record_bucket[];
    parts text[];
    earlier bigint;
begin
    execute sentinel_internal.record_buckets_sql('sentinel_data.incoming_records', 1) into added;
    parts := sentinel_internal.prepare_import_partitions(accounts, periods);
    for n in 1 .. cardinality(accounts) loop
        select listed.import_id into earlier
        from sentinel_data.import_partition as listed
        where (listed.billing_account_id, listed.billing_period_start) = (accounts[n], periods[n]);
        if earlier is not null then
            dropped := sentinel_internal.drop_import_partition(accounts[n], periods[n]);
            -- Superseded when rows of it were replaced: after a truncate of billing_record and
            -- billing_import with restart identity (psql, tests) an emptied partition can name
            -- an id that is handed out again.
            if cardinality(dropped) > 0 then
                update sentinel_data.billing_import set superseded_by = attach_import.import_id
                where id = earlier;
            end if;
            removed := removed || dropped;
        end if;
        execute format(
            'alter table sentinel_data.%I attach partition sentinel_data.%I for values in (%L)',
            sentinel_internal.account_table(accounts[n]), parts[n], periods[n]
        );
        insert into sentinel_data.import_partition
            (billing_account_id, billing_period_start, import_id, table_name)
        values (accounts[n], periods[n], attach_import.import_id, parts[n]);
    end loop;
    perform sentinel_internal.apply_buckets(added || removed);
    -- The rows replaced: what the dropped partitions held.
    return coalesce((select -sum(bucket.record_count) from unnest(removed) as bucket), 0);
end
$$;

comment on function sentinel_internal.attach_import(bigint, text[], date[]) is
    'Swaps the rows COPYd into incoming_records in as the partitions of the import''s billing accounts and periods (pairs, same length), replacing earlier imports of them; returns the rows replaced.';

create function sentinel_internal.detach_imports(import_ids bigint[])
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
-- Grouping a month of records into buckets by hash, not by a sort of its text keys (2x).
set work_mem = '64MB'
as $$
declare
    pair record;
    removed sentinel_internal.record_bucket[] := '{}';
begin
    for pair in
        select listed.billing_account_id, listed.billing_period_start
        from sentinel_data.import_partition as listed
        where listed.import_id = any(import_ids)
        order by 1, 2
    loop
        removed := removed
            || sentinel_internal.drop_import_partition(pair.billing_account_id, pair.billing_period_start);
    end loop;
    perform sentinel_internal.apply_buckets(removed);
    return coalesce((select -sum(bucket.record_count) from unnest(removed) as bucket), 0);
end
$$;

comment on function sentinel_internal.detach_imports(bigint[]) is
    'Drops the partitions holding these imports'' rows and subtracts them from the rollups; returns the rows removed.';

-- sentinel reset: every record, the import history and the alerts raised from them, with
-- their feedback, events and notifications (the truncate trigger on billing_record empties the
-- rollups, totals and stale marks; the cascade, the evaluation queue). The imports' partitions
-- are dropped first, without adjusting the rollups the truncate empties anyway. API keys,
-- monitors and subscriptions stay. Runs with the caller's rights: the owner's command.
create function sentinel_internal.empty_billing_data()
returns void
language plpgsql
as $$
declare
    part text;
begin
    delete from sentinel_data.import_partition;
    -- An account's table takes its periods' partitions with it.
    for part in delete from sentinel_data.account_partition returning table_name loop
        execute format('drop table sentinel_data.%I', part);
    end loop;
    truncate sentinel_data.billing_record, sentinel_data.billing_import, sentinel_data.alert
        restart identity cascade;
end
$$;
