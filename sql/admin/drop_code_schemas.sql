-- The code schemas, dropped before a rebuild or a rollback (src/sentinel/migrations.py). They
-- hold no data: everything in them is built again from sql/schema/. Triggers on the tables of
-- sentinel_data go with their trigger functions and are created again with them.
drop schema if exists sentinel, sentinel_internal cascade
