-- Why: the reader role (people in psql, dashboards) reads the contract and nothing else: select
-- on the views and execute on the functions of schema sentinel, no access to sentinel_data or
-- sentinel_internal. The functions run with the caller's rights and read only views of schema
-- sentinel, except the two that read private tables as their owner (security definer):
-- sentinel.anomalies, for speed, and sentinel.refresh_baselines, which writes nothing but the
-- stored baselines, so that a reader's detection calls can be made fast again (README,
-- "Roles"). Re-issued at every build, since the build creates every object anew.
grant usage on schema sentinel to sentinel_reader;
grant select on all tables in schema sentinel to sentinel_reader;
grant execute on all functions in schema sentinel to sentinel_reader;
revoke execute on function sentinel.refresh_baselines() from public;
