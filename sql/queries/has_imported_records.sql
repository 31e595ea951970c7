-- Whether any stored record came from an import: mock data must not be mixed into real
-- exports by accident. The partial index on import_id answers at once either way.
-- params: none
-- row: (has_imported_records boolean)
select exists (
    select
    from sentinel_data.billing_record as record
    where record.import_id is not null
) as has_imported_records
