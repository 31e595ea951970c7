-- The recommended detector's events at its defaults (sentinel.anomaly_events, every parameter
-- after group_by left out), per service, each with whether it touches a fee day: a day (UTC) that
-- is the 1st of a month, or a day on which the service has fee line items (RIFee).
-- params: granularity
-- row: service, started_at, ended_at, point_count, total_impact, first_of_month, fee_records
select
    event.service,
    event.started_at,
    event.ended_at,
    event.point_count,
    event.total_impact,
    exists (
        select
        from generate_series(
            date_trunc('day', event.started_at at time zone 'UTC'),
            date_trunc('day', event.ended_at at time zone 'UTC'),
            interval '1 day'
        ) as day
        where extract(day from day) = 1
    ) as first_of_month,
    exists (
        select
        from sentinel.billing_line_items as fee
        where fee.charge_type = 'fee'
            and fee.service = event.service
            and fee."timestamp" >= date_trunc('day', event.started_at at time zone 'UTC') at time zone 'UTC'
            and fee."timestamp" < (date_trunc('day', event.ended_at at time zone 'UTC') + interval '1 day') at time zone 'UTC'
    ) as fee_records
from sentinel.anomaly_events(sentinel.recommended_method(), %(granularity)s::text, array['service']) as event
order by event.started_at, event.service
