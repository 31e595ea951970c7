-- When the next pending message falls due (null: none pending), so that the notifier sleeps
-- until then.
select min(next_attempt_at) from sentinel_data.notification where status = 'pending'
