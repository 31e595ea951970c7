-- Evaluate every enabled monitor over the hours changed since the last evaluation
-- (sql/schema/12_alerts.sql); null when another evaluation holds the lock.
-- row: (changed alerts)
select sentinel.evaluate_alerts()
