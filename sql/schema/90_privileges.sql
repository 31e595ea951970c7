-- Why: the reader role (people in psql, dashboards) reads the contract and nothing else: select
-- on the views and execute on the functions of schema sentinel, no access to sentinel_data or
-- sentinel_internal. The functions run with the caller's rights and read only views of schema
-- sentinel, except the two that read private tables as their owner (security definer):
-- sentinel.anomalies, for speed, and sentinel.refresh_baselines, which writes nothing but the
-- stored baselines, so that a reader's detection calls can be made fast again (README,
-- "Roles"). Re-issued at every build, since the build creates every object anew.
-- The application role (sentinel serve, migration 0016) reads the same contract, and writes
-- the tables of sentinel_data it needs (granted with them, in the migrations).
grant usage on schema sentinel to sentinel_reader, sentinel_app;
grant select on all tables in schema sentinel to sentinel_reader, sentinel_app;
grant execute on all functions in schema sentinel to sentinel_reader, sentinel_app;
revoke execute on function sentinel.refresh_baselines() from public;
-- The detectors' stages in sentinel_internal are inlined into the reader's detection calls, so
-- the reader may see and run them (they read only views of schema sentinel); the trigger
-- functions and the refresh stay out of reach.
revoke execute on all functions in schema sentinel_internal from public;
grant usage on schema sentinel_internal to sentinel_reader, sentinel_app;
grant execute on function
    sentinel_internal.scoped_points(text, text[], boolean, text[], timestamptz[], timestamptz[], interval, jsonb, sentinel_internal.batch_record[]),
    sentinel_internal.trailing_points(text, text[], interval, interval, boolean, text[], timestamptz[], timestamptz[], jsonb, sentinel_internal.batch_record[]),
    sentinel_internal.batch_trailing_points(sentinel_internal.batch_record[]),
    sentinel_internal.seasonal_shapes(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb),
    sentinel_internal.seasonal_levels(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb),
    sentinel_internal.seasonal_days(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb),
    sentinel_internal.seasonal_points(text, text[], interval, boolean, text[], timestamptz[], timestamptz[], jsonb),
    sentinel_internal.method_baselines(text, text, text[], interval, jsonb, text[]),
    sentinel_internal.usual_level_span(),
    sentinel_internal.seasonal_level(double precision, double precision, double precision, double precision)
to sentinel_reader, sentinel_app;
-- Alert evaluation writes alerts (it runs with the caller's rights): the application role runs
-- it, the reader reads the alert views only.
revoke execute on function sentinel.evaluate_alerts() from public, sentinel_reader;
grant execute on function
    sentinel_internal.monitor_verdicts(text, text, text[], interval, double precision, double precision, double precision, text, jsonb, text[], timestamptz, jsonb, double precision),
    sentinel_internal.monitor_runs(text, text, text[], interval, double precision, double precision, double precision, text, jsonb, text[], timestamptz, jsonb, double precision),
    sentinel_internal.default_shape_runs(double precision, double precision, double precision, text, jsonb, text[], timestamptz, double precision),
    sentinel_internal.root_causes(text, text, text, timestamptz, timestamptz, double precision, jsonb),
    sentinel_internal.update_alerts(bigint, sentinel_internal.alert_run[]),
    sentinel_internal.open_alerts(bigint, sentinel_internal.alert_run[]),
    sentinel_internal.evaluate_monitor(bigint, text[], timestamptz)
to sentinel_app;
-- The rollup upkeep runs in the writer's transaction, with the writer's rights.
grant execute on function
    sentinel_internal.record_buckets_sql(text, integer),
    sentinel_internal.apply_buckets(sentinel_internal.record_bucket[])
to sentinel_app;
-- The importer re-decides recurring charges in the import's transaction (the application role).
grant execute on function sentinel_internal.mark_recurring_charges(text[], date[]) to sentinel_app;
-- Imports load a table of their own and swap it in as partitions; the functions that create,
-- attach and drop the partitions run as the owner of billing_record (security definer).
grant execute on function
    sentinel_internal.open_incoming_records(),
    sentinel_internal.attach_import(bigint, text[], date[]),
    sentinel_internal.detach_imports(bigint[])
to sentinel_app;
-- The notification outbox is written by the evaluation and the notifier (the application role).
revoke execute on function sentinel.enqueue_digests(timestamptz) from public, sentinel_reader;
grant execute on function
    sentinel_internal.passes(double precision, double precision, double precision, double precision),
    sentinel_internal.alert_document(bigint),
    sentinel_internal.enqueue_notifications(bigint)
to sentinel_app;
