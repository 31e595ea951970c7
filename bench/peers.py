"""The detectors people would otherwise use, run causally in Python for `make eval` to compare.

These are evaluation code, not Sentinel's detectors. Each takes one series (hourly values, oldest
first) and returns one flag per value, judged only from the values before it; a value is never
flagged before its detector has the history it needs.

- rolling z-score: mean and standard deviation of the previous 7 days, flag |z| > 3;
- rolling MAD: median and scaled median absolute deviation of the previous 7 days, flag > 3.5;
- MSTL (statsmodels, periods 24 and 168): from day 16, refit once a day on the previous 28 days,
  forecast the day as last trend + last day's and last week's seasonal terms, flag an error beyond
  3 times the spread of the previous 7 days' out-of-sample errors;
- Prophet: from day 15, refit once a day on all earlier data, flag a value outside the next day's
  99% interval.

rolling z and MAD need nothing beyond the standard library; MSTL and Prophet need the `eval` extra
(pip install -e ".[eval]"), and `available()` says which of them can run. `run()` runs one peer
on one series by its label, so that a process pool can run them in parallel (the MSTL and
Prophet peers take seconds per series; the labels and the series pickle, the functions do not).
"""

import math
import statistics
import time
from collections.abc import Callable
from datetime import datetime

WEEK = 168
DAY = 24


def rolling_z(values: list[float], window: int = WEEK, threshold: float = 3.0) -> list[bool]:
    flags = [False] * len(values)
    total = sum(values[:window])
    squares = sum(v * v for v in values[:window])
    for t in range(window, len(values)):
        mean = total / window
        variance = max(squares / window - mean * mean, 0.0) * window / (window - 1)
        std = math.sqrt(variance)
        flags[t] = std > 0 and abs(values[t] - mean) / std > threshold
        total += values[t] - values[t - window]
        squares += values[t] ** 2 - values[t - window] ** 2
    return flags


def rolling_mad(values: list[float], window: int = WEEK, threshold: float = 3.5) -> list[bool]:
    flags = [False] * len(values)
    for t in range(window, len(values)):
        past = values[t - window : t]
        median = statistics.median(past)
        # 1.4826 makes the MAD estimate the standard deviation of normal noise.
        mad = 1.4826 * statistics.median(abs(v - median) for v in past)
        flags[t] = mad > 0 and abs(values[t] - median) / mad > threshold
    return flags


def mstl(
    values: list[float], history_days: int = 28, spread_days: int = 7, threshold: float = 3.0
) -> list[bool]:
    import numpy as np
    from statsmodels.tsa.seasonal import MSTL

    flags = [False] * len(values)
    errors: list[float] = []
    data = np.asarray(values, dtype=float)
    # MSTL drops a period longer than half the series: start once there is more than two weeks.
    for day_start in range(2 * WEEK + DAY, len(values), DAY):
        past = data[max(0, day_start - history_days * DAY) : day_start]
        result = MSTL(past, periods=(DAY, WEEK)).fit()
        seasonal = np.asarray(result.seasonal)
        trend = float(np.asarray(result.trend)[-1])
        for h in range(day_start, min(day_start + DAY, len(values))):
            back = h - day_start
            # The latest daily term at this hour, the latest weekly term at this hour of the week.
            expected = trend + seasonal[-DAY + back, 0] + seasonal[-WEEK + back, 1]
            error = float(data[h]) - expected
            recent = errors[-spread_days * DAY :]
            if len(recent) >= 2 * DAY:
                spread = statistics.pstdev(recent)
                flags[h] = spread > 0 and abs(error) > threshold * spread
            errors.append(error)
    return flags


def prophet(times: list[datetime], values: list[float], interval: float = 0.99) -> list[bool]:
    import logging

    import pandas as pd
    from prophet import Prophet

    # cmdstanpy logs two INFO lines per fit, hundreds per series.
    logging.getLogger("cmdstanpy").disabled = True
    logging.getLogger("prophet").setLevel(logging.WARNING)
    flags = [False] * len(values)
    frame = pd.DataFrame({"ds": [t.replace(tzinfo=None) for t in times], "y": values})
    for day_start in range(2 * WEEK, len(values), DAY):
        model = Prophet(
            interval_width=interval,
            daily_seasonality=True,
            weekly_seasonality=True,
            yearly_seasonality=False,
        )
        model.fit(frame.iloc[:day_start])
        ahead = frame.iloc[day_start : day_start + DAY]
        forecast = model.predict(ahead[["ds"]])
        for offset, (y, low, high) in enumerate(
            zip(ahead["y"], forecast["yhat_lower"], forecast["yhat_upper"], strict=True)
        ):
            flags[day_start + offset] = bool(y < low or y > high)
    return flags


def available() -> tuple[dict[str, Callable[[list[datetime], list[float]], list[bool]]], list[str]]:
    """The peers that can run here, by table label, and a note for each that cannot."""
    peers: dict[str, Callable[[list[datetime], list[float]], list[bool]]] = {
        "peer: rolling z-score (7d, 3)": lambda times, values: rolling_z(values),
        "peer: rolling MAD (7d, 3.5)": lambda times, values: rolling_mad(values),
    }
    missing = []
    try:
        import statsmodels.tsa.seasonal  # noqa: F401

        peers["peer: MSTL (24h, 168h, 3 x out-of-sample spread)"] = lambda times, values: mstl(
            values
        )
    except ImportError:
        missing.append("MSTL (statsmodels)")
    try:
        import logging

        # prophet logs an ERROR at import when plotly (plots only) is missing, once a process.
        logging.getLogger("prophet.plot").disabled = True
        import prophet as _prophet  # noqa: F401

        peers["peer: Prophet (daily refit, 99% interval)"] = prophet
    except ImportError:
        missing.append("Prophet")
    return peers, missing


def run(label: str, times: list[datetime], values: list[float]) -> tuple[list[bool], float]:
    """The flags of the peer of this label on one series, and the seconds it took."""
    peers, _ = available()  # the first call in a process imports statsmodels and prophet
    started = time.perf_counter()
    flags = peers[label](times, values)
    return flags, time.perf_counter() - started
