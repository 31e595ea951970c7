-- Recurring charges that exports mark as usage. Some services bill a subscription once per
-- billing period, as one lump of Usage: AWS Config's rules in the 2018 CUR months are one
-- line a month ($2 per active rule, 11-01 09:00), where the rest of Config's usage is cents an
-- hour. Nothing in the line item tells it from usage, so a detector judging usage sees a spike
-- on the first of every month. What does tell it is the shape over billing periods: every
-- line of that usage type falls in one hour of the period, and so did they in the period
-- before. Such lines are charge_type 'recurring': counted in every total, never in the usage
-- series the detectors judge. A one-off lump (a single large job) is not recurring until the
-- next period repeats it, so it still alerts the first time.
--
-- Run by the importer in the import's transaction, after its rows are stored; it re-decides the
-- imported periods and the ones after them (a month imported late changes its successor), in
-- both directions, by moving rows (delete, then insert with the new type) so that the rollup
-- triggers keep every sum and mark the changed hours for the baselines.


create function sentinel_internal.mark_recurring_charges(accounts text[], periods date[])
returns bigint
language sql
as $$
    with scope as (
        select distinct imported.billing_account_id, period.start
        from unnest(mark_recurring_charges.accounts, mark_recurring_charges.periods)
            as imported (billing_account_id, billing_period_start)
        cross join lateral (
            values
                (imported.billing_period_start),
                ((imported.billing_period_start + interval '1 month')::date)
        ) as period (start)
    ),
    -- The records that can matter: those of the scope's periods and the periods before them,
    -- in their partitions (the constant lists prune the rest, the API's records included).
    candidates as (
        select
            rec.id,
            rec.billing_account_id,
            rec.billing_period_start,
            rec.account_id,
            rec.service,
            rec.region,
            rec.usage_type,
            rec.charge_type,
            rec."timestamp",
            rec.cost
        from sentinel_data.billing_record as rec
        where rec.billing_account_id = any(mark_recurring_charges.accounts)
            and rec.billing_period_start = any(
                mark_recurring_charges.periods
                || array(select (period - interval '1 month')::date from unnest(mark_recurring_charges.periods) as period)
                || array(select (period + interval '1 month')::date from unnest(mark_recurring_charges.periods) as period)
            )
            and rec.usage_type is not null
            and rec.charge_type in ('usage', 'recurring')
            and (rec.billing_account_id, rec.billing_period_start) in (
                select scope.billing_account_id, scope.start from scope
                union all
                select scope.billing_account_id, (scope.start - interval '1 month')::date
                from scope
            )
    ),
    -- Per billing period and usage type: whether its lines are one lump (all in one hour, and
    -- costing something: free request bursts are neither usage worth judging nor a charge),
    -- and which types they hold now.
    kinds as materialized (
        select
            candidates.billing_account_id,
            candidates.billing_period_start,
            candidates.account_id,
            candidates.service,
            candidates.region,
            candidates.usage_type,
            date_trunc('hour', min(candidates."timestamp"))
                = date_trunc('hour', max(candidates."timestamp"))
                and sum(candidates.cost) <> 0 as lump,
            date_trunc('hour', min(candidates."timestamp")) as first_hour,
            bool_or(candidates.charge_type = 'usage') as has_usage,
            bool_or(candidates.charge_type = 'recurring') as has_recurring
        from candidates
        group by 1, 2, 3, 4, 5, 6
    ),
    -- The usage types of the scope's periods whose lines change type: few, so the records are
    -- then found by one hash join.
    changes as materialized (
        select
            this.billing_account_id,
            this.billing_period_start,
            this.account_id,
            this.service,
            this.region,
            this.usage_type,
            this.first_hour,
            decided.charge_type
        from kinds as this
        left join kinds as before
            on before.billing_account_id = this.billing_account_id
            and before.billing_period_start = (this.billing_period_start - interval '1 month')::date
            and before.account_id = this.account_id
            and before.service = this.service
            and before.region = this.region
            and before.usage_type = this.usage_type
        cross join lateral (
            select case when this.lump and coalesce(before.lump, false) then 'recurring' else 'usage' end
                as charge_type
        ) as decided
        where (this.billing_account_id, this.billing_period_start) in (
            select scope.billing_account_id, scope.start from scope
        )
            and (
                (decided.charge_type = 'recurring' and this.has_usage)
                or (decided.charge_type = 'usage' and this.has_recurring)
            )
    ),
    -- Lines that become recurring are one lump: found at its hour through the (service,
    -- timestamp) index. Lines that become usage again are recurring now, which few are.
    moved as (
        delete from sentinel_data.billing_record as rec
        where rec.id in (
            select lump.id
            from changes
            join sentinel_data.billing_record as lump
                on lump.service = changes.service
                and lump."timestamp" >= changes.first_hour
                and lump."timestamp" < changes.first_hour + interval '1 hour'
            where changes.charge_type = 'recurring'
                and lump.charge_type = 'usage'
                and lump.import_id is not null
                and lump.billing_account_id = changes.billing_account_id
                and lump.billing_period_start = changes.billing_period_start
                and lump.account_id = changes.account_id
                and lump.region = changes.region
                and lump.usage_type = changes.usage_type
            union all
            select candidates.id
            from candidates
            join changes
                on changes.billing_account_id = candidates.billing_account_id
                and changes.billing_period_start = candidates.billing_period_start
                and changes.account_id = candidates.account_id
                and changes.service = candidates.service
                and changes.region = candidates.region
                and changes.usage_type = candidates.usage_type
            where changes.charge_type = 'usage' and candidates.charge_type = 'recurring'
        )
        returning
            rec.*,
            case rec.charge_type when 'usage' then 'recurring' else 'usage' end as new_charge_type
    ),
    stored as (
        insert into sentinel_data.billing_record (
            service, cost, "timestamp", region, account_id, is_anomaly, created_at, charge_type,
            provider_charge_type, usage_type, currency, billing_period_start,
            billing_account_id, import_id, tags
        )
        select
            moved.service, moved.cost, moved."timestamp", moved.region, moved.account_id,
            moved.is_anomaly, moved.created_at, moved.new_charge_type,
            moved.provider_charge_type, moved.usage_type, moved.currency,
            moved.billing_period_start, moved.billing_account_id, moved.import_id, moved.tags
        from moved
        returning 1
    )
    select count(*) from stored
$$;

comment on function sentinel_internal.mark_recurring_charges(text[], date[]) is
    'Re-decides which usage lines of the given billing accounts'' periods (and the periods after them) are recurring: all lines of their usage type in one hour of the period, as in the period before. Returns how many records changed type.';
