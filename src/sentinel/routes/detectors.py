"""The detector query parameters of /anomalies and /anomalies/events, parsed and documented once.

Validation is sentinel.detection's (no HTTP there); a ParameterError becomes a 422 problem
naming the parameter. Defaults are SQL's (sentinel.detector_defaults), so the descriptions
point there instead of repeating numbers that could drift.
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar.di import Provide
from litestar.params import Parameter

from sentinel.detection import DetectionParams, ParameterError, detection_params
from sentinel.errors import invalid_query

# OpenAPI descriptions of the detector parameters, shared by /anomalies and /anomalies/events.
DETECTION_HELP = (
    "Without method, granularity, group_by, window, min_impact, min_pct, min_daily_pct or "
    "direction: the "
    "original rule, one z-score per service over all stored records. With any of them: a "
    "causal detector that judges each point only against the same series' data before it. "
    "Defaults: granularity hour, group_by service; the method, and each method's window and "
    "threshold, direction (up) and materiality floors, as listed by GET "
    "/api/v1/billing/detectors (the psql view sentinel.detector_defaults)."
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
MIN_IMPACT_HELP = (
    "Only flag points whose change in the direction is at least this many dollars; default: "
    "the method's floor, 0 turns it off"
)
MIN_PCT_HELP = "Only flag points whose change in the direction is at least this percent of expected"
MIN_DAILY_PCT_HELP = (
    "Only flag points whose change in the direction is at least this percent of the series' "
    "typical daily spend (its mean daily spend over the trailing window); default: the "
    "method's, 0 turns it off"
)
DIRECTION_HELP = (
    "up (increases only, the default), down (decreases only) or both; min_impact, min_pct and "
    "min_daily_pct measure the change in that direction"
)


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
    direction: str | None
    min_daily_pct: float | None = None

    def asks_for_a_detector(self) -> bool:
        """False when only threshold (or nothing) is given: the original rule then applies."""
        chosen = (self.method, self.granularity, self.group_by, self.window)
        extra = (self.min_impact, self.min_pct, self.direction, self.min_daily_pct)
        return any(value is not None for value in (*chosen, *extra))

    def params(self) -> DetectionParams:
        try:
            return detection_params(
                method=self.method,
                granularity=self.granularity,
                group_by=self.group_by,
                window=self.window,
                threshold=self.threshold,
                min_impact=self.min_impact,
                min_pct=self.min_pct,
                direction=self.direction,
                min_daily_pct=self.min_daily_pct,
            )
        except ParameterError as exc:
            raise invalid_query(exc.field, exc.message) from None


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
    direction: Annotated[
        Literal["up", "down", "both"] | None, Parameter(description=DIRECTION_HELP)
    ] = None,
    min_daily_pct: Annotated[float | None, Parameter(ge=0, description=MIN_DAILY_PCT_HELP)] = None,
) -> DetectorQuery:
    """One declaration of the query parameters both anomaly endpoints take (and document)."""
    return DetectorQuery(
        threshold,
        method,
        granularity,
        group_by,
        window,
        min_impact,
        min_pct,
        direction,
        min_daily_pct,
    )


# The dependency both anomaly endpoints and /series declare.
DETECTOR_QUERY = {"detector": Provide(provide_detector_query, sync_to_thread=False)}
