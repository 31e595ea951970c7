-- Drop a database even while sessions are connected to it (test and bench scratch databases).
-- identifiers: database
drop database if exists {database} with (force)
