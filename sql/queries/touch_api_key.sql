-- Note that a key was used, at most once a minute: rewriting the row on every request would
-- add a write (and a dead tuple) to every read.
-- params: id
-- row: none
update sentinel_data.api_key
set last_used_at = now()
where id = %(id)s
    and (last_used_at is null or last_used_at < now() - interval '1 minute')
