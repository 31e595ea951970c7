"""Request bodies refuse what the database would refuse, with the field's name, before any SQL."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from sentinel.schemas import (
    ACCOUNT_ID_MAX,
    REGION_MAX,
    SERVICE_MAX,
    BillingBatchIn,
    BillingRecordIn,
)


def record(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service": "EC2",
        "cost": 1.25,
        "timestamp": "2024-03-01T12:00:00Z",
        "region": "us-east-1",
        "account_id": "123456789012",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def error_fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[Any, ...]]:
    return [error["loc"] for error in exc.value.errors()]


def test_valid_record_keeps_its_values() -> None:
    parsed = BillingRecordIn.model_validate(record(is_anomaly=True))

    assert parsed.model_dump() == {
        "service": "EC2",
        "cost": 1.25,
        "timestamp": datetime(2024, 3, 1, 12, tzinfo=UTC),
        "region": "us-east-1",
        "account_id": "123456789012",
        "is_anomaly": True,
    }


def test_is_anomaly_defaults_to_false_and_unknown_fields_are_ignored() -> None:
    parsed = BillingRecordIn.model_validate(record(currency="USD"))

    assert parsed.is_anomaly is False
    assert "currency" not in parsed.model_dump()


@pytest.mark.parametrize("value", ["2024-03-01T12:00:00", datetime(2024, 3, 1, 12)])
def test_naive_timestamp_is_taken_as_utc(value: Any) -> None:
    parsed = BillingRecordIn.model_validate(record(timestamp=value))

    assert parsed.timestamp == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert parsed.timestamp.utcoffset() == timedelta(0)


def test_timestamp_with_a_zone_keeps_its_instant_in_utc() -> None:
    parsed = BillingRecordIn.model_validate(record(timestamp="2024-03-01T14:00:00+02:00"))

    assert parsed.timestamp == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert parsed.timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["not a time", "2024-13-01T00:00:00", "", 1.5e20])
def test_unparseable_timestamp_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(timestamp=value))
    assert error_fields(exc) == [("timestamp",)]


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), "NaN", "Infinity", "-Infinity", "nan"]
)
def test_non_finite_cost_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(cost=value))
    assert error_fields(exc) == [("cost",)]


# "2.50" and true were coerced by the original; a cost is a JSON number now (README, Input rules).
@pytest.mark.parametrize("value", ["abc", None, [1], {"amount": 1}, "2.50", True, False])
def test_cost_that_is_not_a_number_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(cost=value))
    assert error_fields(exc) == [("cost",)]


@pytest.mark.parametrize("value", [0, 0.0, -3.5, 2.5, 1e9])
def test_finite_costs_are_accepted(value: Any) -> None:
    assert BillingRecordIn.model_validate(record(cost=value)).cost == float(value)


LIMITS = [("service", SERVICE_MAX), ("region", REGION_MAX), ("account_id", ACCOUNT_ID_MAX)]


def test_limits_match_the_table_check_constraints() -> None:
    # migrations/0001 checks length(service) <= 128 and region/account_id <= 64.
    assert (SERVICE_MAX, REGION_MAX, ACCOUNT_ID_MAX) == (128, 64, 64)


@pytest.mark.parametrize(("field", "limit"), LIMITS)
def test_text_at_the_limit_is_accepted(field: str, limit: int) -> None:
    parsed = BillingRecordIn.model_validate(record(**{field: "x" * limit}))
    assert getattr(parsed, field) == "x" * limit


@pytest.mark.parametrize(("field", "limit"), LIMITS)
def test_text_over_the_limit_is_refused(field: str, limit: int) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(**{field: "x" * (limit + 1)}))
    assert error_fields(exc) == [(field,)]


@pytest.mark.parametrize("field", ["service", "region", "account_id"])
@pytest.mark.parametrize("value", ["", " ", "\t\n  "])
def test_empty_or_whitespace_text_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(**{field: value}))
    assert error_fields(exc) == [(field,)]


@pytest.mark.parametrize("field", ["service", "region", "account_id"])
def test_surrounding_whitespace_is_trimmed(field: str) -> None:
    parsed = BillingRecordIn.model_validate(record(**{field: "  abc\t"}))
    assert getattr(parsed, field) == "abc"


def test_trimming_happens_before_the_length_check() -> None:
    padded = "  " + "x" * SERVICE_MAX + "  "
    assert BillingRecordIn.model_validate(record(service=padded)).service == "x" * SERVICE_MAX


@pytest.mark.parametrize("field", ["service", "region", "account_id"])
def test_nul_character_is_refused(field: str) -> None:
    with pytest.raises(ValidationError, match="NUL") as exc:
        BillingRecordIn.model_validate(record(**{field: "a\x00b"}))
    assert error_fields(exc) == [(field,)]


@pytest.mark.parametrize("field", ["service", "region", "account_id"])
@pytest.mark.parametrize("value", [123, None, ["EC2"]])
def test_text_of_the_wrong_type_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(**{field: value}))
    assert error_fields(exc) == [(field,)]


@pytest.mark.parametrize("field", ["service", "cost", "timestamp", "region", "account_id"])
def test_each_required_field_is_required(field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(**{field: ...}))
    assert error_fields(exc) == [(field,)]
    assert exc.value.errors()[0]["type"] == "missing"


@pytest.mark.parametrize("value", [[1], "maybe", 2])
def test_is_anomaly_must_be_a_boolean(value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        BillingRecordIn.model_validate(record(is_anomaly=value))
    assert error_fields(exc) == [("is_anomaly",)]


def test_batch_needs_at_least_one_record() -> None:
    with pytest.raises(ValidationError) as exc:
        BillingBatchIn.model_validate({"records": []})
    assert error_fields(exc) == [("records",)]
    assert exc.value.errors()[0]["type"] == "too_short"


def test_batch_names_the_bad_record_by_index() -> None:
    body = {"records": [record(), record(), record(cost="NaN"), record(region="")]}

    with pytest.raises(ValidationError) as exc:
        BillingBatchIn.model_validate(body)

    assert error_fields(exc) == [("records", 2, "cost"), ("records", 3, "region")]


def test_batch_keeps_the_input_order() -> None:
    body = {"records": [record(service=name) for name in ("S3", "EC2", "RDS")]}

    parsed = BillingBatchIn.model_validate(body)

    assert [r["service"] for r in parsed.records] == ["S3", "EC2", "RDS"]
