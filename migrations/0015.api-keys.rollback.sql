-- Why: undo 0015. Every key goes with the table; clients need new keys if it is applied again.
drop table sentinel_data.api_key;
