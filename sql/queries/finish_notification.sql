-- The outcome of one attempt: delivered, or tried again after retry_seconds, or (retry_seconds
-- null) failed for good.
-- params: id, delivered boolean, error text, retry_seconds
update sentinel_data.notification
set attempts = attempts + 1,
    status = case
        when %(delivered)s::boolean then 'delivered'
        when %(retry_seconds)s::double precision is null then 'failed'
        else 'pending'
    end,
    delivered_at = case when %(delivered)s::boolean then now() end,
    last_error = %(error)s::text,
    next_attempt_at = case
        when %(retry_seconds)s::double precision is null then next_attempt_at
        else now() + make_interval(secs => %(retry_seconds)s::double precision)
    end
where id = %(id)s::bigint
