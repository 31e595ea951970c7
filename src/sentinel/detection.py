"""Parameters of the causal detectors (sentinel.detect, sql/schema/10_detect.sql): validation.

The statistics and every default live in SQL (sentinel.detector_defaults): this module only turns
what a client sent into validated values, leaving out (None) what it did not send, so that SQL
fills in the defaults. Nothing here knows HTTP; routes/detectors.py parses query parameters and
turns a ParameterError into a 422 problem naming the parameter.
"""

import math
import re
from dataclasses import dataclass
from datetime import timedelta

METHODS = ("trailing", "robust", "seasonal")
GRANULARITIES = ("record", "hour", "day")
DIRECTIONS = ("up", "down", "both")
# Canonical order: sentinel.cost_points compares group_by with array['service'] for its fast path.
GROUP_COLUMNS = ("service", "account_id", "region")
DEFAULT_GRANULARITY = "hour"

WINDOW_MAX = timedelta(days=366)
_WINDOW = re.compile(r"(?P<count>[0-9]{1,4})(?P<unit>[hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class ParameterError(ValueError):
    """A detector parameter that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


invalid = ParameterError


@dataclass(frozen=True)
class DetectionParams:
    """What sentinel.detect takes. None for anything but granularity and group_by: SQL's
    default (sentinel.detector_defaults: the recommended method, that method's window,
    threshold, direction and materiality floors)."""

    method: str | None
    granularity: str
    group_by: list[str]
    window: timedelta | None
    threshold: float | None
    min_impact: float | None
    min_pct: float | None
    direction: str | None = None
    min_daily_pct: float | None = None


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
    direction: str | None = None,
    min_daily_pct: float | None = None,
) -> DetectionParams:
    """Validated parameters; what is not given stays None, for SQL's defaults."""
    chosen = None if method is None else method.strip().lower()
    if chosen is not None and chosen not in METHODS:
        raise invalid("method", f"unknown method; use one of {', '.join(METHODS)}")
    grain = DEFAULT_GRANULARITY if granularity is None else granularity.strip().lower()
    if grain not in GRANULARITIES:
        raise invalid("granularity", f"use one of {', '.join(GRANULARITIES)}")
    way = None if direction is None else direction.strip().lower()
    if way is not None and way not in DIRECTIONS:
        raise invalid("direction", f"use one of {', '.join(DIRECTIONS)}")
    return DetectionParams(
        method=chosen,
        granularity=grain,
        group_by=parse_group_by(group_by),
        window=None if window is None else parse_window(window),
        threshold=None if threshold is None else _non_negative("threshold", threshold),
        min_impact=_non_negative("min_impact", min_impact),
        min_pct=_non_negative("min_pct", min_pct),
        direction=way,
        min_daily_pct=_non_negative("min_daily_pct", min_daily_pct),
    )
