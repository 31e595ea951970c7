"""Format detection and the vectorised conversions, without a database."""

import json

import pyarrow as pa
import pytest

from sentinel.importers import base, formats
from sentinel.importers.base import ExportError, Position


@pytest.mark.parametrize(
    ("header", "container", "name"),
    [
        (
            [
                "identity/LineItemId",
                "lineItem/UnblendedCost",
                "lineItem/UsageStartDate",
                "lineItem/UsageAccountId",
                "bill/BillingPeriodStartDate",
            ],
            "csv.gz",
            "aws-cur-csv",
        ),
        (
            [
                "line_item_unblended_cost",
                "line_item_usage_start_date",
                "line_item_usage_account_id",
                "bill_billing_period_start_date",
                "resource_tags_user_name",
            ],
            "parquet",
            "aws-cur-parquet",
        ),
        (
            [
                "line_item_unblended_cost",
                "line_item_usage_start_date",
                "line_item_usage_account_id",
                "bill_billing_period_start_date",
                "resource_tags",
            ],
            "csv",
            "aws-cur2-csv",
        ),
        (
            [
                "BilledCost",
                "ChargePeriodStart",
                "SubAccountId",
                "BillingPeriodStart",
                "ServiceName",
            ],
            "parquet",
            "focus-parquet",
        ),
        (
            [
                "date",
                "costInBillingCurrency",
                "meterCategory",
                "subscriptionId",
                "billingPeriodStartDate",
            ],
            "csv",
            "azure-csv",
        ),
    ],
)
def test_detects_format_from_header(header, container, name):
    assert formats.detect("f", header, container).name == name


def test_unknown_header_is_refused_on_line_1():
    with pytest.raises(ExportError) as caught:
        formats.detect("x.csv", ["a", "b"], "csv")
    assert (caught.value.file, caught.value.line) == ("x.csv", 1)


def test_known_format_missing_a_column_names_it():
    with pytest.raises(ExportError, match="lineItem/UsageStartDate"):
        formats.detect("cur.csv", ["lineItem/UnblendedCost"], "csv")


def test_charge_types_normalised_and_kept():
    kinds, raw = base.charge_types(pa.array(["RIFee", "DiscountedUsage", "Tax", "Weird Thing"]), 4)
    assert kinds.to_pylist() == ["fee", "usage", "tax", "weirdthing"]
    assert raw.to_pylist() == ["RIFee", "DiscountedUsage", "Tax", "Weird Thing"]


def test_tags_from_columns_is_json_and_skips_empty():
    tags = base.tags_from_columns(
        {"user:a": pa.array(['x"y', None, None]), "b": pa.array(["1", "line\nbreak", None])}, 3
    )
    assert [None if t is None else json.loads(t) for t in tags.to_pylist()] == [
        {"user:a": 'x"y', "b": "1"},
        {"b": "line\nbreak"},
        None,
    ]


def test_cost_error_names_line_and_column():
    position = Position("cur.csv", first_row=100, csv=True)
    with pytest.raises(ExportError) as caught:
        base.cost(pa.array(["1.5", "2e-3", "abc"]), "lineItem/UnblendedCost", position)
    # Row 102 of the data (0-based) is line 104: the header is line 1.
    assert (caught.value.line, caught.value.column) == (103 + 1, "lineItem/UnblendedCost")


def test_infinite_parquet_cost_is_refused_by_row():
    with pytest.raises(ExportError, match="row 2"):
        base.cost(pa.array([1.0, float("inf")]), "cost", Position("f.parquet", 0, csv=False))


def test_timestamps_without_zone_are_utc():
    values = base.timestamps(
        pa.array(["2024-09-18 22:00:00", "2024-09-18T23:00:00Z"]), "t", Position("f", 0, True)
    )
    assert [v.isoformat() for v in values.to_pylist()] == [
        "2024-09-18T22:00:00+00:00",
        "2024-09-18T23:00:00+00:00",
    ]
