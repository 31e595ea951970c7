-- Why: undo 0019.
alter table sentinel_data.service_totals drop column intraday_count;
alter table sentinel_data.monitor drop column min_daily_pct;
do $$
begin
    execute format('alter database %I reset jit', current_database());
exception when insufficient_privilege then
    null;
end
$$;
