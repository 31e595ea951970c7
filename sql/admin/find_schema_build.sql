-- The checksum of the sql/schema/ files built last; no row before the first build.
-- row: checksum text
select checksum from sentinel_data.schema_build
