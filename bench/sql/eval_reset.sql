-- Empty the scratch database between data sets (the rollups follow through their trigger).
-- params: none
truncate sentinel_data.billing_record restart identity
