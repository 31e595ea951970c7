-- Bound every statement of the request's transaction (set_config(..., true) is `set local`,
-- with the value as a parameter): a runaway query ends with 57014 query_canceled instead of
-- holding a pooled connection after its client has given up.
-- params: milliseconds (text, e.g. '30000')
-- row: (the setting as applied)
select set_config('statement_timeout', %(milliseconds)s, true) as statement_timeout
