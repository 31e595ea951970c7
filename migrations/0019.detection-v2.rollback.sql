-- Why: undo 0019.
alter table sentinel_data.service_totals drop column intraday_count;
alter table sentinel_data.monitor drop column min_daily_pct;
