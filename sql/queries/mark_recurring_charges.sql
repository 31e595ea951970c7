-- Re-decide which usage lines of the imported billing periods (and of the periods after them)
-- are recurring charges billed as usage (sql/schema/14_recurring_charges.sql); runs in the
-- import's transaction, after finish_import has recorded the import's accounts and periods.
-- params: accounts text[] and periods date[] (pairs, same length)
-- row: (changed records)
select sentinel_internal.mark_recurring_charges(%(accounts)s::text[], %(periods)s::date[])
