-- Why: undo 0004; the stored records stay, the hourly rollups and series views go.
drop view sentinel.service_daily_costs;
drop view sentinel.daily_costs;
drop view sentinel.service_hourly_costs;
drop view sentinel.hourly_costs;
drop trigger billing_record_rollup_truncate on sentinel_data.billing_record;
drop trigger billing_record_rollup_delete on sentinel_data.billing_record;
drop trigger billing_record_rollup_update_add on sentinel_data.billing_record;
drop trigger billing_record_rollup_update_remove on sentinel_data.billing_record;
drop trigger billing_record_rollup_insert on sentinel_data.billing_record;
drop function sentinel_data.rollup_truncated();
drop function sentinel_data.rollup_removed();
drop function sentinel_data.rollup_added();
drop function sentinel_data.refresh_baselines(text[], timestamptz[], timestamptz[]);
drop index sentinel_data.billing_record_service_timestamp_idx;
drop table sentinel_data.service_hourly_cost;
drop table sentinel_data.hourly_cost;
