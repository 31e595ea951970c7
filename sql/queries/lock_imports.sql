-- Serialise imports for the rest of the transaction: two imports of the same billing period
-- running side by side would each replace the other's predecessor and keep both.
-- params: none
-- row: none (the lock is taken, or the call waits for it)
select pg_advisory_xact_lock(hashtext('sentinel.billing_import'))
