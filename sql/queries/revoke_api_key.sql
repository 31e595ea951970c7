-- Revoke the active key of this name; it authenticates nothing from the next request on.
-- params: name
-- row: ApiKey, or none when there is no active key of that name
update sentinel_data.api_key
set revoked_at = now()
where name = %(name)s
    and revoked_at is null
returning
    id,
    name,
    scope,
    prefix,
    created_at,
    revoked_at,
    last_used_at
