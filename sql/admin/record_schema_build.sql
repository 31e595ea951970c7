-- Remember the checksum of the sql/schema/ files just built.
-- params: checksum
insert into sentinel_data.schema_build (checksum) values (%(checksum)s)
on conflict (singleton) do update set checksum = excluded.checksum, built_at = now()
