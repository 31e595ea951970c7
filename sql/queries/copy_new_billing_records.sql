-- Bulk load of records sent through the API when the client asked for no echo
-- (Prefer: return=minimal): the fastest way in, one COPY per request.
-- params: none (the rows are the COPY data: service, cost, timestamp, region, account_id,
--         is_anomaly)
-- row: none
copy sentinel_data.billing_record (service, cost, "timestamp", region, account_id, is_anomaly)
from stdin
