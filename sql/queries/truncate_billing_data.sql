-- Empty a development database: every record, the import history and the alerts raised from
-- them, with their feedback, events and notifications (the truncate triggers on billing_record
-- empty the rollups, totals, stale marks and the evaluation queue). API keys, monitors and
-- subscriptions stay, so the operator keeps access and set-up. Needs the owner's rights
-- (sentinel_app may not truncate).
-- params: none
-- row: none
truncate sentinel_data.billing_record, sentinel_data.billing_import, sentinel_data.alert
    restart identity cascade
