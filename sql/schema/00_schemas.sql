-- Why: the code of the database lives in two schemas that hold no data, so that a rebuild is
-- drop + create (src/sentinel/migrations.py drops both, then runs these files in order):
--   sentinel           the contract: views and functions that psql users, the API and the
--                      dashboard read (tables stay private in sentinel_data);
--   sentinel_internal  trigger functions and the baseline refresh, which nobody calls directly.
create schema sentinel;
comment on schema sentinel is
    'Sentinel''s public contract: views and functions over the billing records. Start with \dv+ sentinel.*';

create schema sentinel_internal;
comment on schema sentinel_internal is
    'Sentinel''s internals (trigger functions, the refresh of stored baselines); rebuilt from sql/schema/, nothing to read here.';
revoke all on schema sentinel_internal from public;
