-- The newest import of a file with these exact bytes whose rows are all still current; a
-- re-import of it stores nothing.
-- params: checksum (SHA-256 hex)
-- row: (id) or none
select id
from sentinel_data.billing_import
where checksum = %(checksum)s
    and status = 'imported'
    and superseded_by is null
order by id desc
limit 1
