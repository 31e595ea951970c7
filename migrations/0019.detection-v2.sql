-- Why: detection v2 (issue 11). A monitor's flags must be worth something against the series'
-- usual spend: min_daily_pct is the share of the series' typical daily spend a flagged bucket's
-- impact must reach (null takes sentinel.detector_defaults' value, one home for defaults; 0
-- turns the floor off, as for min_impact). Daily data is judged daily: intraday_count counts a
-- service's usage records stamped other than at midnight UTC, so a service with none (a daily
-- export) is known without scanning its records.
-- depends: 0018.notifications

alter table sentinel_data.monitor
    add column min_daily_pct double precision,
    add constraint monitor_min_daily_pct check (min_daily_pct >= 0 and min_daily_pct < 'Infinity');

comment on column sentinel_data.monitor.min_daily_pct is
    'Percent of the series'' typical daily spend a flagged bucket''s impact must reach; null: the detector''s default.';

alter table sentinel_data.service_totals add column intraday_count bigint not null default 0;

update sentinel_data.service_totals as totals
set intraday_count = counted.intraday_count
from (
    select service, count(*) as intraday_count
    from sentinel_data.billing_record
    where charge_type = 'usage' and "timestamp" <> date_trunc('day', "timestamp", 'UTC')
    group by service
) as counted
where counted.service = totals.service;

comment on column sentinel_data.service_totals.intraday_count is
    'Usage records of the service not stamped at midnight UTC; 0: its usage comes daily.';

-- JIT compilation of the detectors' large plans costs more than it saves: at 10M records it
-- added 0.5-1.7 s to the recommended call, which runs in 130 ms without it (make bench-large).
-- Off for this database's new sessions (psql users and the CLI included), when the migrating
-- user may set it (the owner or a superuser); otherwise a notice: the server turns it off on
-- its own connections anyway (sentinel.db.create_pool).
do $$
begin
    execute format('alter database %I set jit = off', current_database());
exception when insufficient_privilege then
    raise notice 'jit stays as configured: only the owner of database % may turn it off for all sessions', current_database();
end
$$;
