"""The evaluation's two scorings and its standard-library peers (bench/), without a database."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from eval_detectors import Series, score, score_buckets
from peers import rolling_mad, rolling_z

START = datetime(2024, 1, 1, tzinfo=UTC)


def hours(n: int) -> list[datetime]:
    return [START + timedelta(hours=h) for h in range(n)]


def series_with_window() -> Series:
    # One window of 3 hours, [10, 13).
    return Series(
        "s", hours(30), [1.0] * 30, [(START + timedelta(hours=10), START + timedelta(hours=13))]
    )


def flags_at(*flagged: int) -> dict[str, list[tuple[datetime, bool]]]:
    return {"s": [(t, h in flagged) for h, t in enumerate(hours(30))]}


def test_a_run_after_the_window_is_one_false_alarm_per_window_but_one_per_bucket() -> None:
    one = series_with_window()
    # Found in its first bucket, then five consecutive flags after the window ends.
    flags = flags_at(10, 14, 15, 16, 17, 18)
    window = score([one], flags, timedelta(hours=1))
    assert (window.precision, window.recall, window.alarms) == (0.5, 1.0, 2)
    precision, recall, f1, false_buckets = score_buckets([one], flags)
    assert (precision, recall, false_buckets) == (pytest.approx(1 / 6), 1.0, 5)
    assert f1 == pytest.approx(2 * (1 / 6) / (1 / 6 + 1))


def test_every_flag_inside_a_window_is_true_per_bucket() -> None:
    precision, recall, f1, false_buckets = score_buckets(
        [series_with_window()], flags_at(10, 11, 12)
    )
    assert (precision, recall, f1, false_buckets) == (1.0, 1.0, 1.0, 0)


def test_nothing_flagged_scores_zero() -> None:
    assert score_buckets([series_with_window()], flags_at()) == (0.0, 0.0, 0.0, 0)


def test_rolling_peers_need_a_full_window_and_judge_only_from_earlier_values() -> None:
    values = [1.0 + 0.01 * (h % 5) for h in range(200)]
    values[190] = 10.0
    for detect in (rolling_z, rolling_mad):
        flags = detect(values)
        assert not any(flags[:168])
        assert flags[190]
        assert sum(flags) == 1 or detect is rolling_z
        # Causal: changing a later value does not change an earlier verdict.
        later = values[:]
        later[199] = 100.0
        assert detect(later)[:199] == flags[:199]


def test_peers_see_the_series_summed_per_hour() -> None:
    from eval_detectors import buckets

    times = [START + timedelta(minutes=5 * k) for k in range(24)]
    one = Series("five-minutes", times, [1.0] * 24, [])
    assert buckets(one, timedelta(hours=1)) == ([START, START + timedelta(hours=1)], [12.0, 12.0])


def test_the_cur_labels_parse_with_their_comments(tmp_path: Path) -> None:
    from eval_detectors import cur_labels

    path = tmp_path / "labels.csv"
    path.write_text(
        "# how they were chosen\n"
        "service,start,end,what\n"
        "AWS Glue,2018-10-09 23:00,2018-10-10 23:00,step up\n"
        "\n"
        "# a comment between rows\n"
        "Amazon QuickSight,2018-12-27 06:00,2018-12-28 06:00,stop\n"
    )
    assert cur_labels(path) == [
        (
            "AWS Glue",
            datetime(2018, 10, 9, 23, tzinfo=UTC),
            datetime(2018, 10, 10, 23, tzinfo=UTC),
            "step up",
        ),
        (
            "Amazon QuickSight",
            datetime(2018, 12, 27, 6, tzinfo=UTC),
            datetime(2018, 12, 28, 6, tzinfo=UTC),
            "stop",
        ),
    ]
    path.write_text("service,start,end,what\nAWS Glue,2018-10-10 00:00,2018-10-09 00:00,x\n")
    with pytest.raises(ValueError, match="end before start"):
        cur_labels(path)


def test_the_repository_cur_labels_are_windows_in_the_three_months() -> None:
    from eval_detectors import HERE, cur_labels

    labels = cur_labels(HERE / "cur_labels.csv")
    assert labels
    for _, start, end, what in labels:
        assert datetime(2018, 10, 1, tzinfo=UTC) <= start < end <= datetime(2019, 1, 1, tzinfo=UTC)
        assert what


def test_the_per_seed_table_scores_each_seed_alone() -> None:
    from eval_detectors import per_seed_table, seed_of

    assert seed_of("gen-long-surges-11-3") == "11"
    assert seed_of("gen-spikes-7-0") == "7"
    window = [(START + timedelta(hours=10), START + timedelta(hours=11))]
    data = [
        Series("gen-spikes-7-0", hours(30), [1.0] * 30, window),
        Series("gen-spikes-11-0", hours(30), [1.0] * 30, window),
    ]
    found = [(t, h == 10) for h, t in enumerate(hours(30))]
    # Seed 11: the window found, plus one false bucket (per bucket 2/3, per window 2/3).
    noisy = [(t, h in (10, 20)) for h, t in enumerate(hours(30))]
    flags = {"gen-spikes-7-0": found, "gen-spikes-11-0": noisy}
    header, rule, row = per_seed_table([("m", data, flags)], timedelta(hours=1))
    assert header == "| method | seed 7 | seed 11 | lowest per-bucket F1 |"
    assert rule == "|---|---|---|---|"
    assert row == "| m | 1.00 / 1.00 | 0.67 / 0.67 | 0.67 |"


def test_record_flags_become_bucket_flags() -> None:
    from eval_detectors import per_bucket

    at = [START, START + timedelta(minutes=20), START + timedelta(hours=1, minutes=5)]
    flags = {"s": [(at[0], False), (at[1], True), (at[2], False)]}
    assert per_bucket(flags, timedelta(hours=1)) == {
        "s": [(START, True), (START + timedelta(hours=1), False)]
    }
