-- Why: undo 0007; imported records stay, without their export dimensions and import history.
drop index sentinel_data.billing_record_import_idx;
-- "not valid": imported rows with longer account ids stay; new rows are held to 64 again.
alter table sentinel_data.billing_record
    drop constraint billing_record_account_id_length,
    add constraint billing_record_account_id_length check (length(account_id) between 1 and 64)
        not valid;
alter table sentinel_data.billing_record
    drop column tags,
    drop column import_id,
    drop column billing_account_id,
    drop column billing_period_start,
    drop column currency,
    drop column usage_type,
    drop column provider_charge_type,
    drop column charge_type;
drop table sentinel_data.billing_import;
