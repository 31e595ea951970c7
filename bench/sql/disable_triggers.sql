-- Diagnostic only: switch off the rollup triggers to separate the HTTP path from table upkeep.
alter table sentinel_data.billing_record disable trigger user
