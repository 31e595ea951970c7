-- Why: undo 0017. Monitors, alerts and their feedback go with the tables.
drop table sentinel_data.alert_event;
drop table sentinel_data.alert_touch;
drop table sentinel_data.alert_feedback;
drop table sentinel_data.alert;
drop table sentinel_data.monitor;
