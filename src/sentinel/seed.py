"""Mock AWS billing data with the original Sentinel's profiles and a few labelled spikes."""

import random
from datetime import UTC, datetime, timedelta

from psycopg import AsyncConnection

from sentinel.queries import Queries
from sentinel.schemas import BillingRecordIn

# Daily cost profile per service: (mean, standard deviation) in dollars per day.
DAILY_PROFILES: dict[str, tuple[float, float]] = {
    "EC2": (45.0, 8.0),
    "S3": (8.0, 2.0),
    "RDS": (25.0, 5.0),
    "Lambda": (3.0, 1.0),
    "CloudFront": (12.0, 3.0),
    "DynamoDB": (6.0, 1.5),
}
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")
ACCOUNTS = ("123456789012", "234567890123", "345678901234")
SPIKES = (3, 5)  # how many injected spikes, inclusive
SPIKE_FACTOR = (5.0, 15.0)


def generate_records(*, days: int, end: datetime, rng: random.Random) -> list[BillingRecordIn]:
    """One record per service per hour for `days` days ending at `end`, spikes labelled."""
    hours = days * 24
    start = end.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    records: list[BillingRecordIn] = []
    for service, (daily_mean, daily_sd) in DAILY_PROFILES.items():
        hourly_mean, hourly_sd = daily_mean / 24, daily_sd / 24
        for hour in range(hours):
            cost = max(0.0, rng.gauss(hourly_mean, hourly_sd))
            records.append(
                BillingRecordIn(
                    service=service,
                    cost=round(cost, 4),
                    timestamp=start + timedelta(hours=hour),
                    region=rng.choice(REGIONS),
                    account_id=rng.choice(ACCOUNTS),
                )
            )
    for index in rng.sample(range(len(records)), k=rng.randint(*SPIKES)):
        spiked = records[index]
        spiked.cost = round(spiked.cost * rng.uniform(*SPIKE_FACTOR), 4)
        spiked.is_anomaly = True
    return records


async def store_mock_records(conn: AsyncConnection, queries: Queries, *, days: int) -> int:
    """Generate `days` of mock data ending now and COPY it in; returns how many were stored."""
    records = generate_records(days=days, end=datetime.now(UTC), rng=random.Random())
    return await queries.copy_new_billing_records(conn, records=[r.model_dump() for r in records])
