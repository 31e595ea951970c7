"""Parameters of the causal detectors (sentinel.detect in migration 0005): parsing and defaults.

The statistics live in SQL; this module only turns query parameters into the validated values
the SQL functions take, and names the parameter when one is wrong (a 422 problem response).
"""

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from litestar.params import Parameter

from sentinel.errors import invalid_query as invalid

METHODS = ("trailing", "robust", "seasonal")
GRANULARITIES = ("record", "hour", "day")
# Canonical order: sentinel.cost_points compares group_by with array['service'] for its fast path.
GROUP_COLUMNS = ("service", "account_id", "region")

# The recommended detector: what /anomalies/events and the psql views use when no method is given.
# Chosen by bench/eval_detectors.py (bench/RESULTS.md): seasonal is the only method that
# catches 1.5x surges at quiet hours in their first hour and adapts to level shifts.
RECOMMENDED_METHOD = "seasonal"

# Documented defaults per method: (baseline window, threshold on |score|).
DEFAULTS: dict[str, tuple[timedelta, float]] = {
    "trailing": (timedelta(days=7), 3.0),
    "robust": (timedelta(days=7), 3.5),
    # seasonal: its spread is a robust (MAD) estimate over a week of residuals; 5 keeps the expected
    # false alarms on Gaussian noise below one per series-year of hours (4.5 would allow ~0.06
    # per series-year on paper, but cost residuals have heavier tails).
    "seasonal": (timedelta(days=28), 5.0),
}
DEFAULT_GRANULARITY = "hour"

WINDOW_MAX = timedelta(days=366)
_WINDOW = re.compile(r"(?P<count>[0-9]{1,4})(?P<unit>[hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class DetectionParams:
    method: str
    granularity: str
    group_by: list[str]
    window: timedelta
    threshold: float
    min_impact: float | None
    min_pct: float | None


def parse_window(text: str) -> timedelta:
    """'36h', '7d' or '4w' as a timedelta, between one hour and 366 days."""
    match = _WINDOW.fullmatch(text.strip())
    if not match:
        raise invalid("window", "expected a number followed by h, d or w, e.g. 7d")
    window = timedelta(**{_UNITS[match["unit"]]: int(match["count"])})
    if not timedelta(hours=1) <= window <= WINDOW_MAX:
        raise invalid("window", "must be between 1h and 366d")
    return window


def parse_group_by(values: list[str] | None) -> list[str]:
    """service, account_id and/or region, repeated or comma-separated, in canonical order."""
    if not values:
        return ["service"]
    names = {name.strip() for value in values for name in value.split(",") if name.strip()}
    if unknown := sorted(names - set(GROUP_COLUMNS)):
        raise invalid(
            "group_by", f"unknown column {', '.join(unknown)}; use {', '.join(GROUP_COLUMNS)}"
        )
    if not names:
        raise invalid("group_by", f"name at least one of {', '.join(GROUP_COLUMNS)}")
    return [column for column in GROUP_COLUMNS if column in names]


def _non_negative(key: str, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise invalid(key, "must be a finite number >= 0")
    return value


def detection_params(
    *,
    method: str | None,
    granularity: str | None = None,
    group_by: list[str] | None = None,
    window: str | None = None,
    threshold: float | None = None,
    min_impact: float | None = None,
    min_pct: float | None = None,
) -> DetectionParams:
    """Validated parameters; what is not given takes the method's documented default."""
    chosen = RECOMMENDED_METHOD if method is None else method.strip().lower()
    if chosen not in METHODS:
        raise invalid("method", f"unknown method; use one of {', '.join(METHODS)}")
    grain = DEFAULT_GRANULARITY if granularity is None else granularity.strip().lower()
    if grain not in GRANULARITIES:
        raise invalid("granularity", f"use one of {', '.join(GRANULARITIES)}")
    default_window, default_threshold = DEFAULTS[chosen]
    return DetectionParams(
        method=chosen,
        granularity=grain,
        group_by=parse_group_by(group_by),
        window=default_window if window is None else parse_window(window),
        threshold=default_threshold
        if threshold is None
        else _non_negative("threshold", threshold) or 0.0,
        min_impact=_non_negative("min_impact", min_impact),
        min_pct=_non_negative("min_pct", min_pct),
    )


# OpenAPI descriptions of the detector parameters, shared by /anomalies and /anomalies/events.
DETECTION_HELP = (
    "Without method, granularity, group_by, window, min_impact or min_pct: the original rule, "
    "one z-score per service over all stored records. With any of them: a causal detector that "
    "judges each point only against the same series' data before it. Defaults: "
    "seasonal (recommended) window 28d threshold 5; trailing window 7d threshold 3; robust "
    "window 7d threshold 3.5; granularity hour; group_by service."
)
METHOD_HELP = (
    "trailing (mean and stddev of the preceding window), robust (median and MAD of it), "
    "seasonal (recommended: the same hour of day, weekday or weekend, in the window gives the "
    "shape, the last day the level, the residuals of the 7 days before the current UTC day the "
    "spread)"
)
GRANULARITY_HELP = "record, hour or day: score single records or the summed cost per bucket"
GROUP_BY_HELP = "service, account_id and/or region (repeat or comma-separate); default service"
WINDOW_HELP = "Baseline window before each point: a number and h, d or w, e.g. 36h, 7d, 4w"
MIN_IMPACT_HELP = "Only flag points at least this many dollars above expected"
MIN_PCT_HELP = "Only flag points at least this many percent above expected"


@dataclass(frozen=True)
class DetectorQuery:
    """The detector parameters of /anomalies and /anomalies/events, as the client sent them."""

    threshold: float | None
    method: str | None
    granularity: str | None
    group_by: list[str] | None
    window: str | None
    min_impact: float | None
    min_pct: float | None

    def asks_for_a_detector(self) -> bool:
        """False when only threshold (or nothing) is given: the original rule then applies."""
        chosen = (self.method, self.granularity, self.group_by, self.window)
        return any(value is not None for value in (*chosen, self.min_impact, self.min_pct))

    def params(self) -> DetectionParams:
        return detection_params(
            method=self.method,
            granularity=self.granularity,
            group_by=self.group_by,
            window=self.window,
            threshold=self.threshold,
            min_impact=self.min_impact,
            min_pct=self.min_pct,
        )


def provide_detector_query(
    threshold: Annotated[
        float | None,
        Parameter(
            ge=0,
            description="Flag when |score| is strictly above this (default 2.0 for the original "
            "rule, else the method's default)",
        ),
    ] = None,
    method: Annotated[
        Literal["seasonal", "trailing", "robust"] | None, Parameter(description=METHOD_HELP)
    ] = None,
    granularity: Annotated[
        Literal["record", "hour", "day"] | None, Parameter(description=GRANULARITY_HELP)
    ] = None,
    group_by: Annotated[list[str] | None, Parameter(description=GROUP_BY_HELP)] = None,
    window: Annotated[str | None, Parameter(description=WINDOW_HELP)] = None,
    min_impact: Annotated[float | None, Parameter(ge=0, description=MIN_IMPACT_HELP)] = None,
    min_pct: Annotated[float | None, Parameter(ge=0, description=MIN_PCT_HELP)] = None,
) -> DetectorQuery:
    """One declaration of the query parameters both anomaly endpoints take (and document)."""
    return DetectorQuery(threshold, method, granularity, group_by, window, min_impact, min_pct)
