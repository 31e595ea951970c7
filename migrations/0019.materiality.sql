-- Why: a monitor's flags must be worth something against the series' usual spend (issue 11,
-- materiality): min_daily_pct is the share of the series' typical daily spend a flagged
-- bucket's impact must reach. Null takes sentinel.detector_defaults' value (one home for
-- defaults), 0 turns the floor off, as for min_impact.
-- depends: 0018.notifications

alter table sentinel_data.monitor
    add column min_daily_pct double precision,
    add constraint monitor_min_daily_pct check (min_daily_pct >= 0 and min_daily_pct < 'Infinity');

comment on column sentinel_data.monitor.min_daily_pct is
    'Percent of the series'' typical daily spend a flagged bucket''s impact must reach; null: the detector''s default.';
