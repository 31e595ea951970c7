-- Store a new API key (its token's hash, never the token). A name already taken stores
-- nothing and returns no row, so the caller can say so without an exception.
-- params: name, scope ('read', 'write' or 'admin'), prefix, token_sha256 (32 bytes)
-- row: ApiKey, or none when the name is taken
insert into sentinel_data.api_key (name, scope, prefix, token_sha256)
values (%(name)s, %(scope)s, %(prefix)s, %(token_sha256)s)
on conflict (name) do nothing
returning
    id,
    name,
    scope,
    prefix,
    created_at,
    revoked_at,
    last_used_at
