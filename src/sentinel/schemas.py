"""Request and response bodies. Field names equal the SQL column aliases."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# Limits on text fields, also enforced by check constraints in the table.
SERVICE_MAX = 128
REGION_MAX = 64
ACCOUNT_ID_MAX = 64
BATCH_MAX = 100_000


def _assume_utc(value: datetime) -> datetime:
    """A timestamp without a zone is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Timestamp = Annotated[datetime, AfterValidator(_assume_utc)]
Cost = Annotated[float, Field(allow_inf_nan=False, description="Amount in the billing currency.")]


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
    is_anomaly: bool = False


class BillingBatchIn(BaseModel):
    """Several records stored together: all of them or none."""

    records: Annotated[list[BillingRecordIn], Field(min_length=1, max_length=BATCH_MAX)]


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


class SeedResult(BaseModel):
    message: str
    records_created: int


class Health(BaseModel):
    status: str
    service: str
