-- Why: undo 0001; this drops every stored billing record.
drop table sentinel_data.billing_record;
drop schema sentinel_data;
