-- The reference of bench_table.py: the same five columns in a table with nothing to keep up
-- (no key, no default, no constraint, no index, no trigger): what a binary COPY alone costs.
create table sentinel_data.bench_plain (
    service text,
    cost numeric,
    "timestamp" timestamptz,
    region text,
    account_id text
)
