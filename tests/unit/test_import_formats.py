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


def _objects(tags: pa.Array) -> list[dict | None]:
    return [None if t is None else json.loads(t) for t in tags.to_pylist()]


def test_tags_from_columns_trims_and_skips_blank_values():
    tags = base.tags_from_columns(
        {"a": pa.array(["  ", " x ", "", None]), "b": pa.array(["", "", "\t", "y"])}, 4
    )
    assert _objects(tags) == [None, {"a": "x"}, None, {"b": "y"}]


def test_tags_from_columns_many_columns_and_values():
    # 24 columns of 10 values and absent: 11**24 combinations do not fit an int64, so the
    # combination numbers are renumbered on the way; every row must still get its own tags.
    rows = 60
    columns = {
        f"k{c}": pa.array(
            [None if (r + c) % 11 == 10 else f"v{(r + 7 * c) % 10}" for r in range(rows)]
        )
        for c in range(24)
    }
    assert all(len(values.unique()) == 11 for values in columns.values())
    expected = []
    for r in range(rows):
        found = {key: values[r].as_py() for key, values in columns.items() if values[r].is_valid}
        expected.append(found or None)
    assert _objects(base.tags_from_columns(columns, rows)) == expected


def test_tags_from_map_like_a_dict():
    maps = pa.array(
        [[("a", 'x"\n'), ("b", "é")], [], None, [("c", None)], [("d", "z"), ("d", "w")]] * 2,
        pa.map_(pa.string(), pa.string()),
    )
    for values in (maps, maps.slice(3), maps.slice(2, 5)):
        expected = [dict(items) if items else None for items in values.to_pylist()]
        assert _objects(base.tags_from_map(values)) == expected


def test_zoned_times_are_written_as_utc_text():
    paris = pa.array([0, 3_600_000], pa.timestamp("ms", tz="Europe/Paris"))
    table = pa.table({"timestamp": paris, "n": pa.array([1, 2])})
    assert base.to_csv(table).decode().splitlines() == [
        '"1970-01-01 00:00:00.000Z",1',
        '"1970-01-01 01:00:00.000Z",2',
    ]
