-- Every API key, revoked ones too (they stay for the record); never a token or its hash.
-- params: none
-- row: ApiKey
select
    id,
    name,
    scope,
    prefix,
    created_at,
    revoked_at,
    last_used_at
from sentinel_data.api_key
order by name
