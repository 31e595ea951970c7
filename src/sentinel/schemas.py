"""Request and response bodies. Field names equal the SQL column aliases."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, NotRequired

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from typing_extensions import TypedDict

# Limits on text fields, also enforced by check constraints in the table.
SERVICE_MAX = 128
REGION_MAX = 64
ACCOUNT_ID_MAX = 64
BATCH_MAX = 100_000


def as_utc(value: datetime) -> datetime:
    """A timestamp without a zone is taken as UTC; one with a zone is converted to UTC.

    Converting here keeps odd offsets (ISO 8601 allows up to ±23:59, PostgreSQL ±15:59) from
    ever reaching the database.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError("timestamp is out of range once converted to UTC") from None


Timestamp = Annotated[datetime, AfterValidator(as_utc)]
# No line item is anywhere near a trillion; the bound keeps squares and sums of costs far
# from double-precision overflow in the statistics.
COST_LIMIT = 1e12


# Strict by validator, not Field(strict=True): Litestar validates bodies with strict=False,
# which overrides a field's own strictness. The original coerced true to 1.0, "12" to 12.0 and
# "yes" to true (README, "Input rules").
def _a_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    return value


def _a_boolean(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be a JSON boolean (true or false)")
    return value


Cost = Annotated[
    float,
    BeforeValidator(_a_number),
    Field(
        allow_inf_nan=False,
        ge=-COST_LIMIT,
        le=COST_LIMIT,
        description="Amount in the billing currency; negative for credits and refunds.",
    ),
]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; say so here rather than fail in the driver.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


def _text(max_length: int) -> Any:
    """Trimmed, non-empty text of at most max_length characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(_no_nul),
    ]


Label = Annotated[bool, BeforeValidator(_a_boolean), Field(description="The caller's own label")]

ServiceName = _text(SERVICE_MAX)
RegionName = _text(REGION_MAX)
AccountId = _text(ACCOUNT_ID_MAX)


class BillingRecordIn(BaseModel):
    """A billing line item as a client sends it."""

    model_config = ConfigDict(extra="ignore")

    service: ServiceName
    cost: Cost
    timestamp: Timestamp
    region: RegionName
    account_id: AccountId
    is_anomaly: Label = False


class BillingRecordFields(TypedDict):
    """One record of a batch: the fields and rules of BillingRecordIn, validated into a dict.

    A batch holds up to 100k records; building a model object for each would cost more than
    storing it.
    """

    service: ServiceName
    cost: Cost
    timestamp: Timestamp
    region: RegionName
    account_id: AccountId
    is_anomaly: NotRequired[Label]


class BillingBatchIn(BaseModel):
    """Several records stored together: all of them or none."""

    records: Annotated[list[BillingRecordFields], Field(min_length=1, max_length=BATCH_MAX)]


class BillingRecord(BaseModel):
    """A stored billing record."""

    id: int
    service: str
    cost: float
    timestamp: datetime
    region: str
    account_id: str
    is_anomaly: bool
    created_at: datetime


class ServiceCost(BaseModel):
    service: str
    total_cost: float


class Anomaly(BaseModel):
    """A record whose cost is far from its service's mean, in standard deviations."""

    id: int
    service: str
    cost: float
    timestamp: datetime
    region: str
    account_id: str
    z_score: float


class DetectorDefaults(BaseModel):
    """One row of sentinel.detector_defaults: what a detector uses when a parameter is left out."""

    detector: str
    window: str | None
    threshold: float
    min_history: int
    history_share: float | None = Field(
        description="trailing, robust: share of the window's buckets needed before any flag"
    )
    direction: str | None = Field(description="up, down or both; null: both (original rules)")
    min_impact: float | None = Field(description="Materiality floor, dollars per bucket")
    min_daily_pct: float | None = Field(
        description="Materiality floor, percent of the series' typical daily spend"
    )
    recommended: bool


class DetectedAnomaly(BaseModel):
    """A point flagged by a causal detector (sentinel.detect), with why it was flagged.

    The original fields keep their meaning; for hour and day buckets `id` is null, `timestamp`
    is the bucket start, and a column not in group_by is null (all its values summed).
    """

    id: int | None
    service: str | None
    cost: float
    timestamp: datetime
    region: str | None
    account_id: str | None
    z_score: float = Field(description="(cost - expected) / spread, rounded to 3 decimals")
    expected: float = Field(description="The baseline the point is judged against (4 decimals)")
    lower_bound: float = Field(
        description="expected - threshold * spread, not below 0 when expected is not"
    )
    upper_bound: float = Field(description="expected + threshold * spread")
    impact: float = Field(description="cost - expected, in dollars (4 decimals)")
    impact_pct: float | None = Field(
        description="impact as percent of expected (1 decimal); null if 0"
    )
    baseline_count: int = Field(
        description="Points behind the baseline (comparable periods for seasonal)"
    )
    daily_spend: float | None = Field(
        description="The series' mean daily spend over the trailing window (materiality)"
    )
    method: str
    granularity: str
    bucket: datetime = Field(description="Start of the hour or day (the record time for record)")


class CostPoint(BaseModel):
    """Usage spend of one series in one hour or day (GET /costs), from the rollups."""

    service: str | None
    account_id: str | None
    region: str | None
    bucket: datetime = Field(description="Start of the UTC hour or day")
    cost: float = Field(description="Summed usage cost (4 decimals)")
    record_count: int


class SeriesPoint(BaseModel):
    """One bucket of a service's series as a causal detector judges it (GET /series): every
    bucket of the range, flagged or not, for a chart with the expected band."""

    service: str
    account_id: str | None
    region: str | None
    bucket: datetime = Field(description="Start of the hour or day")
    cost: float
    expected: float | None = Field(description="Null before the series has any baseline")
    lower_bound: float | None
    upper_bound: float | None
    z_score: float | None = Field(description="Null until the point has enough history")
    impact: float | None
    impact_pct: float | None
    baseline_count: int
    daily_spend: float | None
    anomaly: bool
    method: str
    granularity: str


class AnomalyEvent(BaseModel):
    """Consecutive flagged points of one series: a lasting change alerts once."""

    service: str | None
    account_id: str | None
    region: str | None
    started_at: datetime
    ended_at: datetime = Field(description="Last flagged point (the newest one when ongoing)")
    ongoing: bool = Field(
        description="The run reaches the series' newest point, and that is the newest bucket of "
        "all the data (a series that stopped is not ongoing)"
    )
    point_count: int
    peak_score: float
    peak_cost: float
    total_impact: float = Field(description="Sum of cost - expected over the event, dollars")
    method: str
    granularity: str


class ScoredBillingRecord(BillingRecord):
    """A stored record with the causal verdict against the same service's 7 days before it."""

    z_score: float | None = Field(description="Trailing z-score; null without 3 earlier records")
    expected: float | None = Field(description="Mean cost of the service's 7 days before it")
    anomaly: bool


class SeedResult(BaseModel):
    message: str
    records_created: int


class DeletedRecords(BaseModel):
    records_deleted: int


class DeletedImport(DeletedRecords):
    imports_deleted: int = Field(
        description="The import and its no-op re-imports of the same bytes (status unchanged)"
    )


class Health(BaseModel):
    status: str
    service: str


class BillingImport(BaseModel):
    """One import of a billing export file, as the history (sentinel.imports) shows it."""

    id: int
    file_name: str
    format: str = Field(description="aws-cur-csv, aws-cur-parquet, aws-cur2-*, focus-*, azure-csv")
    checksum: str = Field(description="SHA-256 of the file, hex")
    status: str = Field(description="imported, superseded, or unchanged (nothing stored)")
    row_count: int
    replaced_rows: int = Field(description="Rows of earlier imports of the same period replaced")
    billing_periods: list[date]
    billing_accounts: list[str]
    unchanged_of: int | None = Field(description="For unchanged: the import with the same bytes")
    superseded_by: int | None
    started_at: datetime
    finished_at: datetime | None


class ProblemField(BaseModel):
    field: str = Field(description="The offending field: records[3].cost, threshold, body, file")
    message: str
    source: str = Field(description="body, query, path or header")


class ProblemDetails(BaseModel):
    """An RFC 9457 problem (application/problem+json): every 4xx and 5xx answer."""

    status: int
    title: str
    detail: str = Field(description="What went wrong, naming the field or the cause")
    errors: list[ProblemField] | None = Field(
        default=None, description="One entry per invalid field (validation errors only)"
    )
