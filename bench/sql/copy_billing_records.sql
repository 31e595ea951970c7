-- The reference for batch ingest: raw binary COPY of the same rows the HTTP client sends.
copy sentinel_data.billing_record (service, cost, "timestamp", region, account_id)
from stdin (format binary)
