"""Bodies of the monitor and alert endpoints. Field names equal the SQL column aliases of
sql/queries/*monitor*.sql and *alert*.sql; defaults left out (None) are SQL's
(sentinel.detector_defaults), as for the detector endpoints."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from sentinel.detection import parse_window
from sentinel.schemas import AccountId, RegionName, ServiceName

Direction = Literal["up", "down", "both"]
Verdict = Literal["yes", "no", "planned"]
Amount = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
MonitorName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[^\x00]*$"),
]
FILTER_VALUES_MAX = 100
T = TypeVar("T")
FilterValues = Annotated[list[T], Field(min_length=1, max_length=FILTER_VALUES_MAX)]
# Tags are matched exactly as the records carry them (no trimming); the bounds are AWS's
# (keys up to 128 characters, values up to 256, which may be empty, 50 tags per resource).
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAG_KEYS_MAX = 50
TagKey = Annotated[
    str, StringConstraints(min_length=1, max_length=TAG_KEY_MAX, pattern=r"^[^\x00]*$")
]
TagValue = Annotated[str, StringConstraints(max_length=TAG_VALUE_MAX, pattern=r"^[^\x00]*$")]


class MonitorFilter(BaseModel):
    """Which series a monitor watches: each listed column keeps only the values given. A
    column outside group_by also splits the series by that column. tags narrows the records
    the series are summed from (every key, one of its values); it splits no series."""

    model_config = ConfigDict(extra="forbid")

    service: FilterValues[ServiceName] | None = None
    account_id: FilterValues[AccountId] | None = None
    region: FilterValues[RegionName] | None = None
    tags: (
        Annotated[
            dict[TagKey, FilterValues[TagValue]],
            Field(min_length=1, max_length=TAG_KEYS_MAX),
        ]
        | None
    ) = Field(
        None,
        description="Only the records whose tags hold, for every key, one of the values listed",
        examples=[{"team": ["data", "web"], "env": ["prod"]}],
    )


class MonitorIn(BaseModel):
    """A monitor as a client creates or replaces it; what is left out takes the defaults."""

    model_config = ConfigDict(extra="forbid")

    name: MonitorName
    method: Literal["seasonal", "trailing", "robust"] | None = Field(
        None, description="Default: the recommended method (GET /api/v1/billing/detectors)"
    )
    granularity: Literal["hour", "day"] = "hour"
    group_by: Annotated[
        list[Literal["service", "account_id", "region"]], Field(min_length=1, max_length=3)
    ] = ["service"]
    window: str | None = Field(None, description="e.g. 36h, 7d, 4w; default: the method's")
    threshold: Amount | None = Field(None, description="Default: the method's")
    min_impact: Amount | None = Field(
        None,
        description="Dollars in the direction a flagged bucket's impact reaches; default: the "
        "method's floor (GET /api/v1/billing/detectors), 0 turns it off",
    )
    min_pct: Amount | None = Field(None, description="Percent of expected in the direction")
    min_daily_pct: Amount | None = Field(
        None,
        description="Percent of the series' typical daily spend a flagged bucket's impact "
        "reaches; default: the method's, 0 turns it off",
    )
    direction: Direction = Field("up", description="up: spend going up (what costs money)")
    filter: MonitorFilter = Field(default_factory=MonitorFilter)
    enabled: bool = True

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_window(value)  # ParameterError is a ValueError: a 422 naming window
        return value

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, value: list[str]) -> list[str]:
        # Canonical order, as the detectors take it.
        return [column for column in ("service", "account_id", "region") if column in value]


class Monitor(BaseModel):
    """A stored monitor, with the defaults it takes filled in (the view sentinel.monitors)."""

    id: int
    name: str
    method: str
    granularity: str
    group_by: list[str]
    window: str
    threshold: float
    min_impact: float | None
    min_pct: float | None
    min_daily_pct: float | None
    direction: str
    filter: dict[str, list[str] | dict[str, list[str]]]
    enabled: bool
    created_at: datetime
    updated_at: datetime


class RootCause(BaseModel):
    """One slice of an alert's series and what it contributed over the alert's buckets."""

    dimension: str = Field(description="service, account_id, region, usage_type or tag:<key>")
    value: str
    actual: float
    expected: float = Field(description="The slice's share of the 7 days before, times expected")
    contribution: float = Field(description="actual - expected, dollars")


class Alert(BaseModel):
    """An anomaly event raised by a monitor (the view sentinel.alerts)."""

    id: int
    monitor_id: int
    monitor_name: str
    service: str | None
    account_id: str | None
    region: str | None
    status: Literal["open", "closed"]
    started_at: datetime
    last_flagged_at: datetime
    ended_at: datetime | None = Field(description="First normal bucket after it; null if open")
    bucket_count: int
    peak_score: float | None
    actual: float
    expected: float
    total_impact: float
    max_impact: float
    impact_pct: float | None
    root_causes: list[RootCause]
    feedback: Verdict | None
    quiet_until: datetime | None
    method: str
    granularity: str
    created_at: datetime
    updated_at: datetime


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict = Field(description="yes: a real anomaly; no: a false alarm; planned")
    note: Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")] | None = None


class AlertFeedback(BaseModel):
    id: int
    alert_id: int
    verdict: Verdict
    note: str | None
    key_name: str | None
    created_at: datetime


class AlertStats(BaseModel):
    """How the alerts were rated: the live precision."""

    raised: int
    open: int
    rated: int
    rated_yes: int
    rated_no: int
    rated_planned: int
    precision: float | None = Field(
        description="rated_yes / rated: the share of rated alerts people called real"
    )


class AlertChange(BaseModel):
    """What one evaluation did to an alert: opened, grew, closed (in order), or updated."""

    alert_id: int
    change: str


# Subscriptions and notifications (sql/schema/13_notifications.sql).

Channel = Literal["webhook", "slack", "email"]
Frequency = Literal["immediate", "daily", "weekly"]
# A URL for webhook and slack, an address for email; which one is checked by the model.
Target = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2048, pattern=r"^\S+$")
]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SubscriptionIn(BaseModel):
    """Who hears of a monitor's alerts; both thresholds must hold."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    target: Target = Field(description="An http(s) URL (webhook, slack) or an email address")
    frequency: Frequency = Field(
        "immediate",
        description="immediate: when an alert opens, when its impact doubles, when it closes; "
        "daily or weekly: a digest of the period's alerts (UTC days, weeks from Monday)",
    )
    min_impact: Amount = Field(0, description="|total_impact| at least, dollars")
    min_pct: Amount = Field(0, description="|impact_pct| at least, percent of expected")

    @field_validator("target")
    @classmethod
    def _target_fits_channel(cls, value: str, info: ValidationInfo) -> str:
        channel = info.data.get("channel")  # validated first: it is declared first
        if channel == "email":
            if not EMAIL.match(value):
                raise ValueError("an email channel needs an address such as ops@example.com")
        elif channel is not None:
            url = urlsplit(value)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValueError(f"a {channel} channel needs an http(s) URL")
        return value


class Subscription(BaseModel):
    """A stored subscription (the view sentinel.subscriptions: no secret, no Slack URL path)."""

    id: int
    monitor_id: int
    channel: Channel
    target: str
    frequency: Frequency
    min_impact: float
    min_pct: float
    digested_until: datetime | None
    created_at: datetime


class CreatedSubscription(Subscription):
    secret: str | None = Field(
        description="Webhooks: the key of their X-Sentinel-Signature, shown only now"
    )


class Notification(BaseModel):
    """One message of the outbox and its delivery (the view sentinel.notifications)."""

    id: int
    subscription_id: int
    monitor_id: int
    alert_id: int | None
    channel: Channel
    kind: Literal["opened", "grew", "closed", "digest"]
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    idempotency_key: str
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None


class Delivery(BaseModel):
    """A due message as the notifier sends it (claim_notifications.sql)."""

    id: int
    kind: str
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int
    channel: Channel
    target: str
    secret: str | None
