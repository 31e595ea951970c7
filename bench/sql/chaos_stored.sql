-- Why: the fault script (bench/chaos.py) compares what the server acknowledged with what it
-- stored. Every record it sends carries a unique account_id, so counting copies per id finds
-- lost, duplicated and partially stored batches.
-- Params: %(service)s, the service name the script writes under.
-- Row: (account_id, copies).
select account_id, count(*) as copies
from sentinel.billing_records
where service = %(service)s
group by account_id
