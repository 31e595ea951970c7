-- Whether a database of this name exists on the server (the embedded server's first start).
-- params: name
-- row: found boolean
select exists (select from pg_catalog.pg_database where datname = %(name)s) as found
