"""The mock generator: the original's profiles, hourly records, and a few labelled spikes."""

import random
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from sentinel import seed
from sentinel.seed import ACCOUNTS, DAILY_PROFILES, REGIONS, generate_records

END = datetime(2024, 3, 10, 15, 37, 12, 345, tzinfo=UTC)
SEEDS = range(12)


def test_profiles_are_the_originals() -> None:
    # DESIGN.md: daily mean/sigma in $/day.
    assert DAILY_PROFILES == {
        "EC2": (45.0, 8.0),
        "S3": (8.0, 2.0),
        "RDS": (25.0, 5.0),
        "Lambda": (3.0, 1.0),
        "CloudFront": (12.0, 3.0),
        "DynamoDB": (6.0, 1.5),
    }
    assert len(REGIONS) == 4
    assert len(ACCOUNTS) == 3


@pytest.mark.parametrize("days", [1, 2, 7])
def test_one_record_per_service_per_hour(days: int) -> None:
    records = generate_records(days=days, end=END, rng=random.Random(days))

    assert len(records) == 6 * 24 * days
    assert Counter(r.service for r in records) == {service: 24 * days for service in DAILY_PROFILES}


def test_hourly_timestamps_end_at_the_hour_of_end() -> None:
    records = generate_records(days=2, end=END, rng=random.Random(1))

    last_hour = datetime(2024, 3, 10, 15, tzinfo=UTC)
    expected = [last_hour - timedelta(hours=h) for h in reversed(range(48))]
    for service in DAILY_PROFILES:
        assert [r.timestamp for r in records if r.service == service] == expected
    assert all(r.timestamp.utcoffset() == timedelta(0) for r in records)


def test_same_seed_same_records() -> None:
    first = generate_records(days=1, end=END, rng=random.Random(7))
    again = generate_records(days=1, end=END, rng=random.Random(7))
    other = generate_records(days=1, end=END, rng=random.Random(8))

    assert first == again
    assert first != other


def test_costs_are_non_negative_and_rounded_to_four_places() -> None:
    for rng_seed in SEEDS:
        for r in generate_records(days=3, end=END, rng=random.Random(rng_seed)):
            assert r.cost >= 0
            assert r.cost == round(r.cost, 4)


def test_regions_and_accounts_come_from_the_fixed_sets() -> None:
    records = generate_records(days=5, end=END, rng=random.Random(3))

    assert {r.region for r in records} == set(REGIONS)
    assert {r.account_id for r in records} == set(ACCOUNTS)


def test_between_three_and_five_spikes_are_labelled() -> None:
    counts = [
        sum(r.is_anomaly for r in generate_records(days=1, end=END, rng=random.Random(s)))
        for s in range(40)
    ]

    assert set(counts) == {3, 4, 5}  # every allowed count occurs, nothing else


def test_spikes_multiply_the_cost_by_five_to_fifteen(monkeypatch: pytest.MonkeyPatch) -> None:
    # Spikes are drawn after every base record, so the same seed with no spikes gives the
    # records as they were before spiking.
    for rng_seed in SEEDS:
        spiked = generate_records(days=2, end=END, rng=random.Random(rng_seed))
        with monkeypatch.context() as patch:
            patch.setattr(seed, "SPIKES", (0, 0))
            plain = generate_records(days=2, end=END, rng=random.Random(rng_seed))

        assert not any(r.is_anomaly for r in plain)
        for before, after in zip(plain, spiked, strict=True):
            if after.is_anomaly:
                assert 5 * before.cost - 1e-4 <= after.cost <= 15 * before.cost + 1e-4
            else:
                assert after == before


def test_labelled_costs_are_far_above_their_service_mean() -> None:
    above = total = 0
    for rng_seed in SEEDS:
        records = generate_records(days=3, end=END, rng=random.Random(rng_seed))
        for r in (r for r in records if r.is_anomaly):
            daily_mean, daily_sd = DAILY_PROFILES[r.service]
            hourly_mean, hourly_sd = daily_mean / 24, daily_sd / 24
            total += 1
            above += r.cost > hourly_mean + 3 * hourly_sd
    # A spike multiplies the record's own draw, so a draw far below the mean can stay
    # unremarkable even at 5x (about 3 in 1000 spikes; seed 7 has one for Lambda).
    assert total >= 3 * len(SEEDS)
    assert above >= 0.95 * total


def test_unlabelled_costs_follow_the_hourly_profile() -> None:
    records = generate_records(days=30, end=END, rng=random.Random(2024))

    by_service: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if not r.is_anomaly:
            by_service[r.service].append(r.cost)
    for service, (daily_mean, daily_sd) in DAILY_PROFILES.items():
        costs = by_service[service]
        # 720 draws: the sample mean is within 4 standard errors of the profile's mean.
        hourly_mean, hourly_sd = daily_mean / 24, daily_sd / 24
        assert statistics.fmean(costs) == pytest.approx(hourly_mean, abs=4 * hourly_sd / 26)
        assert statistics.pstdev(costs) == pytest.approx(hourly_sd, rel=0.15)
