-- Be told when a commit changed billing records (sentinel_internal.apply_buckets notifies),
-- so that the evaluator runs right after each committed ingest or import, whoever wrote it.
listen sentinel_alert_touch
