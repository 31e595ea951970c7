-- A new, empty database. The name is an identifier, composed in by psycopg.sql (it cannot be a
-- bound parameter).
-- identifiers: database
create database {database}
