-- Brings the stored baselines (migration 0004) up to date before a detection query reads them:
-- the triggers only mark the hours a change moved, so that ingest does not pay for the medians.
-- A no-op when nothing is stale; services another session is refreshing are skipped, and the
-- detector functions compute those in full, so the verdicts never depend on it.
-- params: none
-- row: refreshed, the number of services refreshed
select sentinel.refresh_baselines() as refreshed
