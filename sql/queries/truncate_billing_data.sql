-- Empty a development database: every record and the import history (the truncate trigger on
-- billing_record empties the rollups, totals and stale marks with it). API keys stay, so the
-- operator keeps access. Needs the owner's rights (sentinel_app may not truncate).
-- params: none
-- row: none
truncate sentinel_data.billing_record, sentinel_data.billing_import restart identity
