-- Why: anyone who reached the port could write and delete. Clients now present an API key
-- (Authorization: Bearer <token>) whose scope says what it may do; only a hash of each token is
-- kept, so a copy of the database (a backup, a psql reader) cannot be replayed as a key.
-- depends: 0014.code-schemas

create table sentinel_data.api_key (
    id bigint generated always as identity primary key,
    name text not null,
    scope text not null,
    -- The token's public part (sentinel_<prefix>_<secret>): found by an index, shown by
    -- `sentinel keys list`, so an operator can tell which key a client holds.
    prefix text not null,
    -- SHA-256 of the whole token. The secret part is 256 random bits, so a fast hash is right:
    -- nothing can be guessed from it, and a slow password hash (bcrypt, argon2) would add tens
    -- of milliseconds to every request while defending only against low-entropy secrets.
    token_sha256 bytea not null,
    created_at timestamptz not null default now(),
    revoked_at timestamptz,
    last_used_at timestamptz,
    constraint api_key_name_unique unique (name),
    constraint api_key_prefix_unique unique (prefix),
    constraint api_key_name_format check (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    constraint api_key_scope check (scope in ('read', 'write', 'admin')),
    constraint api_key_token_sha256_length check (octet_length(token_sha256) = 32)
);

comment on table sentinel_data.api_key is
    'API keys of the REST API: scope read < write < admin; only a SHA-256 of the token is stored.';
comment on column sentinel_data.api_key.prefix is
    'Public part of the token (sentinel_<prefix>_...), used to find the key; not a secret.';
comment on column sentinel_data.api_key.revoked_at is
    'When the key was revoked; a revoked key authenticates nothing and stays for the record.';
comment on column sentinel_data.api_key.last_used_at is
    'Last request made with the key, to the minute (not rewritten on every request).';
