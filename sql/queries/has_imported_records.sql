-- Whether any stored record came from an import: mock data must not be mixed into real
-- exports by accident. Imported rows live in the billing accounts' partitions, which the
-- condition on billing_account_id keeps to (the API's records are not scanned); the first row
-- found answers.
-- params: none
-- row: (has_imported_records boolean)
select exists (
    select
    from sentinel_data.billing_record as record
    where record.billing_account_id is not null
) as has_imported_records
