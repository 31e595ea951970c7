-- Write the daily and weekly digests due at the time given (default now); how many.
-- params: at timestamptz
select sentinel.enqueue_digests(coalesce(%(at)s::timestamptz, now()))
