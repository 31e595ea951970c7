-- Delete the records of one service in a time range [start, end), whatever stored them (the
-- API, an import, the seed). Triggers keep the rollups and totals in step.
-- params: service, start, end (timestamptz)
-- row: (records_deleted)
with removed as (
    delete from sentinel_data.billing_record as record
    where record.service = %(service)s
        and record."timestamp" >= %(start)s
        and record."timestamp" < %(end)s
    returning record.id
)
select count(*) as records_deleted
from removed
