-- Readiness: the database answers a trivial query (under the request's statement timeout).
-- params: none
-- row: (ready boolean)
select true as ready
