-- Why: undo 0008; the data stays in the private tables.
drop view sentinel.billing_line_items;
drop view sentinel.imports;
