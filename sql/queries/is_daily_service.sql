-- Whether a service sends daily data (sentinel.daily_services): its series is judged by the day.
-- params: service text
select exists (
    select from sentinel.daily_services where service = %(service)s::text
) as daily
