-- Why: undo 0016. The role is dropped only when no other database on the server still uses it.
revoke all on
    sentinel_data.billing_record,
    sentinel_data.billing_import,
    sentinel_data.api_key,
    sentinel_data.hourly_cost,
    sentinel_data.service_hourly_cost,
    sentinel_data.baseline_dirty,
    sentinel_data.service_totals
from sentinel_app;
revoke usage on schema sentinel_data from sentinel_app;

do $$
begin
    drop role if exists sentinel_app;
exception
    when dependent_objects_still_exist then
        raise notice 'sentinel_app is still used by another database; keeping the role';
end
$$;
