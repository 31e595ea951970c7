-- Why: undo 0018. Subscriptions and the outbox go with the tables.
drop table sentinel_data.notification;
drop table sentinel_data.subscription;
