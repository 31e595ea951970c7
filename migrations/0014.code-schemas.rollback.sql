-- Why: undo 0014. The legacy functions it dropped are not restored: the code they were lives on,
-- current, in sql/schema/.
drop table sentinel_data.schema_build;
