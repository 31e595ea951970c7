-- The reference of bench_table.py: the same binary COPY into the bare table of plain_table.sql.
copy sentinel_data.bench_plain (service, cost, "timestamp", region, account_id)
from stdin (format binary)
