-- Total spend per service, by service name.
-- params: none
-- row: ServiceCost
select
    service,
    total_cost::double precision as total_cost
from sentinel.cost_summary
order by service
