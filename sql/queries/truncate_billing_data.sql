-- Empty a development database: every record, its imports and partitions, and the alerts
-- raised from them; API keys, monitors and subscriptions stay, so the operator keeps access
-- and set-up (sql/schema/15_import_partitions.sql). Needs the owner's rights (sentinel_app may
-- not truncate).
-- params: none
-- row: none
select sentinel_internal.empty_billing_data()
