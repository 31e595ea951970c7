-- The active key a presented token claims to be, by the token's public prefix. The hash is
-- compared in Python, in constant time, rather than in this where clause.
-- params: prefix
-- row: StoredApiKey, or none (no such key, or revoked)
select
    id,
    name,
    scope,
    token_sha256,
    last_used_at
from sentinel_data.api_key
where prefix = %(prefix)s
    and revoked_at is null
