-- Why: the views, functions and triggers of Sentinel are code, rebuilt from sql/schema/ into the
-- schemas sentinel and sentinel_internal whenever the files change; this table remembers which
-- version of the files was built last. Databases built by migrations 0001-0012 also kept
-- trigger functions and the baseline refresh in sentinel_data: they go (their triggers with
-- them), and the rebuild that follows in the same transaction creates their current versions.
-- depends: 0013.state-baseline

create table sentinel_data.schema_build (
    -- One row: the build currently installed.
    singleton boolean primary key default true check (singleton),
    checksum text not null,
    built_at timestamptz not null default now()
);

comment on table sentinel_data.schema_build is
    'The SHA-256 of the sql/schema/ files built into schemas sentinel and sentinel_internal; a different checksum at the next migrate rebuilds them.';

drop function if exists sentinel_data.refresh_baselines(text[], timestamptz[], timestamptz[]);
drop function if exists sentinel_data.rollup_added() cascade;
drop function if exists sentinel_data.rollup_removed() cascade;
drop function if exists sentinel_data.rollup_truncated() cascade;
drop function if exists sentinel_data.add_service_totals() cascade;
drop function if exists sentinel_data.subtract_service_totals() cascade;
drop function if exists sentinel_data.clear_service_totals() cascade;
