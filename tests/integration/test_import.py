"""Imports of real export slices through COPY: exact counts and totals, replacement, refusals."""

import asyncio
import csv
import gzip
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from sentinel.importers import ExportError, import_file
from sentinel.queries import Queries

DATA = Path(__file__).parents[1] / "data"
CUR_PARQUET = DATA / "cur_oct2018_300.snappy.parquet"
CUR_CSV = DATA / "cur_legacy_oct2018_300.csv"
FOCUS_CSV = DATA / "focus_sample_300.csv"
AZURE_CSV = DATA / "EA_ActualCost_Small.csv"
SHARED_CUR = Path(__file__).parents[3] / "shared" / "data" / "aws_cur"


@pytest.fixture
def clean(database_url: str):
    """Empty billing tables before and after: imports commit, other tests must not see them."""

    def truncate() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "truncate sentinel_data.billing_record, sentinel_data.billing_import"
                " restart identity"
            )

    truncate()
    yield database_url
    truncate()


def run_import(url: str, path: Path, name: str | None = None):
    async def go():
        async with await psycopg.AsyncConnection.connect(url, options="-c TimeZone=UTC") as conn:
            return await import_file(conn, Queries(), path, name=name)

    return asyncio.run(go())


def totals(url: str) -> tuple[int, Decimal | None, int]:
    with psycopg.connect(url) as conn:
        rows, cost = conn.execute(
            "select count(*), sum(cost) from sentinel.billing_line_items"
        ).fetchone()
        imports = conn.execute("select count(*) from sentinel.imports").fetchone()[0]
    return rows, cost, imports


def focus_sample() -> tuple[list[dict], Decimal]:
    """The FOCUS sample's rows and their exact BilledCost total."""
    with FOCUS_CSV.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    return rows, sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))


def first_stored_time(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        return conn.execute(
            'select "timestamp" from sentinel.billing_line_items order by id limit 1'
        ).fetchone()[0]


def parquet_cost_total(path: Path) -> Decimal:
    # A Parquet double is stored as its shortest decimal text, as repr() writes it.
    costs = pq.read_table(path, columns=["line_item_unblended_cost"]).column(0).to_pylist()
    return sum((Decimal(repr(c)) for c in costs), Decimal(0))


def test_cur_parquet_rows_and_total_exact(clean):
    result = run_import(clean, CUR_PARQUET)
    assert (result.format, result.status, result.row_count) == ("aws-cur-parquet", "imported", 300)
    assert result.billing_periods == [date(2018, 10, 1)]
    assert result.billing_accounts == ["836060457634"]
    rows, cost, _ = totals(clean)
    assert rows == 300
    assert cost == parquet_cost_total(CUR_PARQUET)


def test_cur_dimensions_are_kept(clean):
    run_import(clean, CUR_PARQUET)
    with psycopg.connect(clean) as conn:
        kinds = dict(
            conn.execute(
                "select provider_charge_type, charge_type from sentinel.billing_line_items"
                " group by 1, 2"
            ).fetchall()
        )
        tagged = conn.execute(
            "select tags from sentinel.billing_line_items where tags ? 'user_workload' limit 1"
        ).fetchone()
        row = conn.execute(
            "select service, region, account_id, currency, usage_type, billing_period_start::text"
            " from sentinel.billing_line_items where provider_charge_type = 'RIFee' order by id"
            " limit 1"
        ).fetchone()
    assert kinds == {"RIFee": "fee", "Usage": "usage", "DiscountedUsage": "usage"}
    assert tagged is not None
    assert isinstance(tagged[0], dict)
    assert row == (
        "Amazon Elastic Compute Cloud",
        "us-east-1",
        "836060457634",
        "USD",
        "HeavyUsage:c4.large",
        "2018-10-01",
    )


def test_second_import_of_same_file_changes_nothing(clean):
    first = run_import(clean, CUR_PARQUET)
    before = totals(clean)
    again = run_import(clean, CUR_PARQUET)
    assert (again.status, again.row_count, again.unchanged_of) == ("unchanged", 0, first.id)
    rows, cost, imports = totals(clean)
    assert (rows, cost) == before[:2]
    assert imports == 2


def test_restated_export_replaces_the_period(clean, tmp_path):
    first = run_import(clean, CUR_PARQUET)
    table = pq.read_table(CUR_PARQUET)
    restated = tmp_path / "restated.parquet"
    pq.write_table(table.slice(0, 290), restated)
    second = run_import(clean, restated)
    assert (second.row_count, second.replaced_rows) == (290, 300)
    rows, cost, _ = totals(clean)
    assert rows == 290
    assert cost == parquet_cost_total(restated)
    with psycopg.connect(clean) as conn:
        statuses = conn.execute(
            "select id, status, superseded_by from sentinel.imports order by id"
        )
        assert statuses.fetchall() == [
            (first.id, "superseded", second.id),
            (second.id, "imported", None),
        ]


@pytest.mark.parametrize("packing", ["csv", "csv.gz", "zip"])
def test_legacy_cur_csv_matches_parquet(clean, tmp_path, packing):
    path = CUR_CSV
    if packing == "csv.gz":
        path = tmp_path / "cur.csv.gz"
        path.write_bytes(gzip.compress(CUR_CSV.read_bytes()))
    elif packing == "zip":
        path = tmp_path / "cur.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(CUR_CSV, "cur-00001.csv")
    result = run_import(clean, path)
    assert (result.format, result.row_count) == ("aws-cur-csv", 300)
    rows, cost, _ = totals(clean)
    assert (rows, cost) == (300, parquet_cost_total(CUR_PARQUET))


def cur2_from_athena(table: pa.Table) -> tuple[pa.Table, list[list[tuple[str, str]]]]:
    """The legacy Athena layout as CUR 2.0 lays it out: tags in the resource_tags map, product
    attributes (the product name among them) in the product map, no product_* name column."""
    tags = [
        [("user:Workload", w)] if w else []
        for w in table["resource_tags_user_workload"].to_pylist()
    ]
    products = [
        [("product_name", name), ("region", region)]
        for name, region in zip(
            table["product_product_name"].to_pylist(),
            table["product_region"].to_pylist(),
            strict=True,
        )
    ]
    keep = [
        n
        for n in table.column_names
        if not n.startswith("resource_tags_") and n != "product_product_name"
    ]
    cur2 = (
        table.select(keep)
        .append_column("resource_tags", pa.array(tags, pa.map_(pa.string(), pa.string())))
        .append_column("product", pa.array(products, pa.map_(pa.string(), pa.string())))
    )
    return cur2, tags


def services_and_tagged(url: str) -> tuple[list[tuple[str, int]], int]:
    with psycopg.connect(url) as conn:
        services = conn.execute(
            "select service, count(*) from sentinel.billing_line_items group by 1 order by 1"
        ).fetchall()
        tagged = conn.execute(
            "select count(*) from sentinel.billing_line_items where tags ? 'user:Workload'"
        ).fetchone()[0]
    return services, tagged


@pytest.mark.parametrize("container", ["parquet", "csv"])
def test_cur2_keeps_tags_and_the_product_name_of_its_maps(clean, tmp_path, container):
    run_import(clean, CUR_PARQUET)
    legacy_services, _ = services_and_tagged(clean)
    cur2, tags = cur2_from_athena(pq.read_table(CUR_PARQUET))
    path = tmp_path / f"cur2.{container}"
    if container == "parquet":
        pq.write_table(cur2, path)
    else:
        # CUR 2.0 in CSV writes its map columns as JSON object text.
        for name in ("resource_tags", "product"):
            maps = cur2[name].to_pylist()
            text = pa.array([None if m is None else json.dumps(dict(m)) for m in maps])
            cur2 = cur2.set_column(cur2.schema.get_field_index(name), name, text)
        pa_csv.write_csv(cur2, path)
    # The same rows from CUR 2.0 replace the legacy import (same payer and period).
    result = run_import(clean, path)
    assert (result.format, result.row_count) == (f"aws-cur2-{container}", 300)
    services, tagged = services_and_tagged(clean)
    # Services keep their product names (not product codes such as AmazonEC2).
    assert services == legacy_services
    assert tagged == sum(1 for t in tags if t)


def test_cur2_product_text_that_is_not_json_names_line_and_column(clean, tmp_path):
    cur2, _ = cur2_from_athena(pq.read_table(CUR_PARQUET).slice(0, 5))
    products = ['{"product_name": "Amazon S3"}'] * 5
    products[3] = "product_name=Amazon S3"
    cur2 = cur2.set_column(cur2.schema.get_field_index("product"), "product", pa.array(products))
    cur2 = cur2.set_column(
        cur2.schema.get_field_index("resource_tags"), "resource_tags", pa.array(["{}"] * 5)
    )
    path = tmp_path / "cur2.csv"
    pa_csv.write_csv(cur2, path)
    with pytest.raises(ExportError) as refused:
        run_import(clean, path)
    assert (refused.value.line, refused.value.column) == (5, "product")
    assert totals(clean)[0] == 0


def test_focus_billed_cost_total_exact(clean):
    rows, expected = focus_sample()
    result = run_import(clean, FOCUS_CSV)
    assert (result.format, result.row_count) == ("focus-csv", len(rows))
    count, cost, _ = totals(clean)
    assert (count, cost) == (len(rows), expected)
    with psycopg.connect(clean) as conn:
        # The sample's bare NULL is a null, not the text "NULL".
        nulls = conn.execute(
            "select count(*) from sentinel.billing_line_items where tags::text = '\"NULL\"'"
        ).fetchone()[0]
    assert nulls == 0
    # The first row's zone-less ChargePeriodStart, as UTC.
    assert first_stored_time(clean) == datetime(2024, 9, 18, 22, tzinfo=UTC)


def focus_as_parquet(
    out: Path, *, cost: pa.DataType, times: pa.DataType, ids: pa.DataType, tag_map: bool
) -> Path:
    """The FOCUS sample as a typed Parquet file: numbers, times, real nulls, tags."""
    timestamps = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")
    table = pa_csv.read_csv(
        FOCUS_CSV,
        convert_options=pa_csv.ConvertOptions(
            null_values=["NULL", ""],
            strings_can_be_null=True,
            column_types={
                "BilledCost": cost,
                "EffectiveCost": cost,
                "ListCost": cost,
                "BillingAccountId": ids,
                "SubAccountId": ids,
                **dict.fromkeys(timestamps, pa.timestamp(times.unit)),
            },
        ),
    )
    if times.tz:
        for name in timestamps:
            at = table.column_names.index(name)
            table = table.set_column(at, name, pc.assume_timezone(table[name], times.tz))
    if tag_map:
        tags = [
            None if text is None else list(json.loads(text).items())
            for text in table["Tags"].to_pylist()
        ]
        at = table.column_names.index("Tags")
        table = table.set_column(at, "Tags", pa.array(tags, pa.map_(pa.string(), pa.string())))
    assert table["BilledCost"].type == cost
    assert table["ChargePeriodStart"].type == times
    assert table["Tags"].null_count == 86  # the sample's bare NULL tags, now real nulls
    pq.write_table(table, out)
    return out


# As a FOCUS exporter writes it (decimal, UTC times, a tag map), and as a CSV converted with
# type inference (double, zone-less times, account ids as integers, tags as JSON text).
@pytest.mark.parametrize(
    ("cost", "times", "ids", "tag_map"),
    [
        (pa.decimal128(24, 11), pa.timestamp("ms", tz="UTC"), pa.string(), True),
        (pa.float64(), pa.timestamp("s"), pa.int64(), False),
    ],
    ids=["decimal-utc-map", "double-naive-text"],
)
def test_focus_parquet_typed_columns(clean, tmp_path, cost, times, ids, tag_map):
    rows, expected = focus_sample()
    tagged = sum(1 for r in rows if r["Tags"] != "NULL")
    path = focus_as_parquet(
        tmp_path / "focus.parquet", cost=cost, times=times, ids=ids, tag_map=tag_map
    )
    result = run_import(clean, path)
    assert (result.format, result.status, result.row_count) == ("focus-parquet", "imported", 300)
    assert result.billing_periods == [date(2024, 9, 1)]
    assert result.billing_accounts == ["1234567890123"]
    count, total, _ = totals(clean)
    assert (count, total) == (len(rows), expected)
    with psycopg.connect(clean) as conn:
        stored_tags = conn.execute(
            "select count(*) from sentinel.billing_line_items"
            " where jsonb_typeof(tags) = 'object' and tags ? 'environment'"
        ).fetchone()[0]
    assert stored_tags == tagged
    # The first row's zone-less ChargePeriodStart, as UTC.
    assert first_stored_time(clean) == datetime(2024, 9, 18, 22, tzinfo=UTC)


def kinds_cost_and_first_day(url: str) -> tuple[dict[str, int], Decimal, str]:
    """Rows per charge type, the total cost and the first day stored."""
    with psycopg.connect(url) as conn:
        kinds = dict(
            conn.execute(
                "select charge_type, count(*) from sentinel.billing_line_items group by 1"
            ).fetchall()
        )
        cost, day = conn.execute(
            'select sum(cost), min("timestamp")::date::text from sentinel.billing_line_items'
        ).fetchone()
    return kinds, cost, day


def test_azure_ea_export(clean):
    result = run_import(clean, AZURE_CSV)
    assert (result.format, result.row_count) == ("azure-csv", 11)
    kinds, cost, day = kinds_cost_and_first_day(clean)
    assert kinds == {"usage": 10, "purchase": 1}
    assert round(cost, 2) == Decimal("8.55")
    assert day == "2023-09-04"


def test_azure_mca_export_with_its_camel_case_header_and_iso_dates(clean, tmp_path):
    # A Microsoft Customer Agreement export names the EA columns in camelCase, puts the cost in
    # costInBillingCurrency beside costInUsd, and recent ones write ISO dates.
    mca_names = {
        "BillingAccountId": "billingAccountId",
        "BillingPeriodStartDate": "billingPeriodStartDate",
        "Date": "date",
        "MeterCategory": "meterCategory",
        "MeterName": "meterName",
        "Cost": "costInBillingCurrency",
        "BillingCurrency": "billingCurrency",
        "ResourceLocation": "resourceLocation",
        "ChargeType": "chargeType",
        "Tags": "tags",
    }
    with AZURE_CSV.open(newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    path = tmp_path / "mca.csv"
    with path.open("w", newline="") as out:
        names = [mca_names.get(name, name) for name in rows[0]] + ["costInUsd"]
        writer = csv.writer(out)
        writer.writerow(names)
        for row in rows:
            values = dict(row)
            for field in ("Date", "BillingPeriodStartDate"):
                month, day, year = values[field].split("/")
                values[field] = f"{year}-{month}-{day}"
            writer.writerow([*values.values(), "999"])

    result = run_import(clean, path)

    assert (result.format, result.row_count) == ("azure-csv", 11)
    assert result.billing_periods == [date(2023, 9, 1)]
    kinds, cost, day = kinds_cost_and_first_day(clean)
    assert kinds == {"usage": 10, "purchase": 1}
    assert round(cost, 2) == Decimal("8.55")  # costInBillingCurrency, not costInUsd
    assert day == "2023-09-04"


def refused(url: str, path: Path, name: str | None = None) -> ExportError:
    before = totals(url)
    with pytest.raises(ExportError) as caught:
        run_import(url, path, name)
    assert totals(url) == before  # nothing stored, not even the history row
    return caught.value


def test_non_numeric_cost_names_file_line_and_column(clean, tmp_path):
    lines = CUR_CSV.read_text().splitlines()
    header = next(csv.reader([lines[0]]))
    cost_at = header.index("lineItem/UnblendedCost")
    row = next(csv.reader([lines[150]]))
    row[cost_at] = "12,5 USD"
    out = tmp_path / "bad-cost.csv"
    with out.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for i, line in enumerate(lines[1:], start=1):
            writer.writerow(row if i == 150 else next(csv.reader([line])))
    error = refused(clean, out)
    assert (error.file, error.line, error.column) == ("bad-cost.csv", 151, "lineItem/UnblendedCost")
    assert "'12,5 USD' is not a number" in str(error)


def test_truncated_gzip(clean, tmp_path):
    packed = gzip.compress(CUR_CSV.read_bytes())
    out = tmp_path / "cut.csv.gz"
    out.write_bytes(packed[: len(packed) * 2 // 3])
    error = refused(clean, out)
    assert error.file == "cut.csv.gz"
    assert "ends early" in str(error)
    assert error.line is not None


def test_unknown_format(clean, tmp_path):
    out = tmp_path / "orders.csv"
    out.write_text("order_id,amount\n1,2\n")
    error = refused(clean, out)
    assert (error.file, error.line) == ("orders.csv", 1)
    assert "unknown export format" in str(error)


def test_wrong_header_missing_cost_column(clean, tmp_path):
    text = FOCUS_CSV.read_text().replace('"BillingPeriodStart"', '"PeriodStart"', 1)
    out = tmp_path / "focus.csv"
    out.write_text(text)
    error = refused(clean, out)
    assert error.line == 1
    assert "BillingPeriodStart" in str(error)


def test_ragged_row(clean, tmp_path):
    lines = FOCUS_CSV.read_text().splitlines()
    lines[41] = lines[41].rsplit(",", 3)[0]
    out = tmp_path / "ragged.csv"
    out.write_text("\n".join(lines) + "\n")
    error = refused(clean, out)
    assert error.line == 42


def test_bad_tags_json(clean, tmp_path):
    lines = FOCUS_CSV.read_text().splitlines()
    lines[10] = lines[10].rsplit(",", 1)[0] + ',"{not json"'
    out = tmp_path / "tags.csv"
    out.write_text("\n".join(lines) + "\n")
    error = refused(clean, out)
    assert (error.line, error.column) == (11, "Tags")


def test_truncated_parquet(clean, tmp_path):
    out = tmp_path / "cut.parquet"
    out.write_bytes(CUR_PARQUET.read_bytes()[:30_000])
    error = refused(clean, out)
    assert error.file == "cut.parquet"


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"line_item_unblended_cost": float("inf")}, "line_item_unblended_cost", "the cost inf"),
        # Text is read as a dictionary holding every row's values: the row must still be right.
        (
            {"product_product_name": " ", "line_item_product_code": ""},
            "product_product_name",
            "the service is missing",
        ),
    ],
    ids=["cost", "text"],
)
def test_parquet_error_names_the_row_past_the_first_batch(
    clean, tmp_path, changes, column, message
):
    table = pa.concat_tables([pq.read_table(CUR_PARQUET)] * 60)  # 18,000 rows: two batches
    for name, value in changes.items():
        at = table.column_names.index(name)
        values = table.column(at).to_pylist()
        values[17_000] = value
        table = table.set_column(at, name, pa.array(values, table.schema.field(name).type))
    out = tmp_path / "bad.parquet"
    pq.write_table(table, out)
    error = refused(clean, out)
    assert (error.file, error.column) == ("bad.parquet", column)
    assert f"row 17001: {message}" in str(error)


# Uploads name their type (sentinel.forgery refuses none, form types and text/plain).
OCTETS = {"content-type": "application/octet-stream"}


def test_upload_and_history(client, clean):
    response = client.post(
        "/api/v1/billing/import?filename=oct.parquet",
        content=CUR_PARQUET.read_bytes(),
        headers={"content-type": "application/vnd.apache.parquet"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["file_name"], body["row_count"], body["status"]) == (
        "oct.parquet",
        300,
        "imported",
    )
    again = client.post("/api/v1/billing/import", content=CUR_PARQUET.read_bytes(), headers=OCTETS)
    assert again.status_code == 201
    assert again.json()["status"] == "unchanged"
    history = client.get("/api/v1/billing/imports")
    assert history.status_code == 200
    assert [h["status"] for h in history.json()] == ["unchanged", "imported"]


def test_upload_refused_is_problem_json(client, clean):
    response = client.post(
        "/api/v1/billing/import?filename=notes.txt",
        content=b"hello,world\n1,2\n",
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "notes.txt, line 1: unknown export format" in body["detail"]
    assert body["errors"][0]["field"] == "file"
    assert totals(clean)[0] == 0


def test_upload_empty_body(client, clean):
    response = client.post("/api/v1/billing/import", content=b"", headers=OCTETS)
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]


@pytest.mark.skipif(not SHARED_CUR.is_dir(), reason="../shared/data/aws_cur is not on this machine")
def test_three_cur_months_exact_and_idempotent(clean):
    expected = {
        "Oct2018-WorkshopCUR-00001.snappy.parquet": (119_307, Decimal("4064.48")),
        "Nov2018-WorkshopCUR-00001.snappy.parquet": (124_340, Decimal("3505.33")),
        "Dec2018-WorkshopCUR-00001.snappy.parquet": (91_264, Decimal("408.38")),
    }
    for name in expected:
        assert run_import(clean, SHARED_CUR / name).status == "imported"
    with psycopg.connect(clean) as conn:
        query = (
            "select i.file_name, count(*), sum(r.cost) from sentinel.billing_line_items as r"
            " join sentinel.imports as i on i.id = r.import_id group by 1"
        )
        first = {name: (rows, cost) for name, rows, cost in conn.execute(query)}
        for name, (rows, total) in expected.items():
            assert first[name][0] == rows
            assert round(first[name][1], 2) == total
            assert first[name][1] == parquet_cost_total(SHARED_CUR / name)
    for name in expected:
        assert run_import(clean, SHARED_CUR / name).status == "unchanged"
    with psycopg.connect(clean) as conn:
        assert {n: (r, c) for n, r, c in conn.execute(query)} == first


CUR_HEADER = next(csv.reader(CUR_CSV.open()))


def cur_month(path: Path, month: int, lines: list[tuple[str, str, datetime, str]]) -> Path:
    """A legacy CUR CSV of one 2018 billing period: (product, usage type, start, cost) lines."""
    period = datetime(2018, month, 1, tzinfo=UTC)
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, CUR_HEADER)
        writer.writeheader()
        for number, (product, usage_type, start, cost) in enumerate(lines):
            writer.writerow(
                {
                    "identity/LineItemId": f"{month}-{number}",
                    "bill/PayerAccountId": "836060457634",
                    "bill/BillingPeriodStartDate": period.isoformat(),
                    "lineItem/UsageAccountId": "836060457634",
                    "lineItem/LineItemType": "Usage",
                    "lineItem/UsageStartDate": start.isoformat(),
                    "lineItem/ProductCode": product,
                    "lineItem/UsageType": usage_type,
                    "lineItem/CurrencyCode": "USD",
                    "lineItem/UnblendedCost": cost,
                    "product/ProductName": product,
                    "product/region": "us-east-1",
                }
            )
    return path


def config_month(tmp_path: Path, month: int, rule_hours: list[int], athena: bool = False) -> Path:
    """AWS Config's month: cents of recorded items every hour of two days, and the rules charge
    ($2, split over the hours given: one hour is one lump); optionally a one-off Athena job and
    a free request burst in one hour."""
    day = datetime(2018, month, 1, tzinfo=UTC)
    lines = [
        ("AWS Config", "ConfigurationItemRecorded", day.replace(hour=h), "0.003") for h in range(24)
    ]
    lines += [
        ("AWS Config", "ConfigurationItemRecorded", day.replace(day=2, hour=h), "0.003")
        for h in range(24)
    ]
    share = f"{2 / len(rule_hours):.2f}"
    lines += [("AWS Config", "ActiveConfigRules", day.replace(hour=h), share) for h in rule_hours]
    lines += [("Amazon SQS", "Requests-Tier1", day.replace(day=3, hour=month), "0")]
    if athena:
        lines += [("Amazon Athena", "DataScanned", day.replace(day=5, hour=14), "40.00")]
    return cur_month(tmp_path / f"cur-{month}.csv", month, lines)


def charge_types_of(url: str) -> dict[tuple[str, str], str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select to_char(billing_period_start, 'MM'), usage_type,"
            " string_agg(distinct charge_type, ',') from sentinel.billing_line_items group by 1, 2"
        )
        return {(month, usage_type): kinds for month, usage_type, kinds in rows}


def usage_cost(url: str) -> Decimal:
    with psycopg.connect(url) as conn:
        return conn.execute("select sum(cost) from sentinel.hourly_costs").fetchone()[0]


def test_a_charge_billed_once_a_month_as_usage_is_recurring(clean, tmp_path):
    # Imported out of order: December, October, then November (with a one-off Athena job).
    run_import(clean, config_month(tmp_path, 12, [0]))
    run_import(clean, config_month(tmp_path, 10, [3]))
    run_import(clean, config_month(tmp_path, 11, [9], athena=True))
    kinds = charge_types_of(clean)
    # The first month has nothing to repeat; from the second on, the one-hour lump is recurring.
    assert kinds[("10", "ActiveConfigRules")] == "usage"
    assert kinds[("11", "ActiveConfigRules")] == "recurring"
    assert kinds[("12", "ActiveConfigRules")] == "recurring"
    # Hourly usage, a one-off job and a free burst stay usage.
    assert {kinds[(m, "ConfigurationItemRecorded")] for m in ("10", "11", "12")} == {"usage"}
    assert kinds[("11", "DataScanned")] == "usage"
    assert kinds[("11", "Requests-Tier1")] == "usage"
    # Counted in the totals, not in the usage the detectors judge.
    rows, cost, _ = totals(clean)
    assert rows == 3 * 50 + 1
    assert cost == Decimal("0.003") * 48 * 3 + 6 + 40
    assert usage_cost(clean) == cost - 4


def test_a_restated_month_re_decides_itself_and_the_next(clean, tmp_path):
    for month in (10, 11, 12):
        run_import(clean, config_month(tmp_path, month, [month % 5]))
    assert charge_types_of(clean)[("12", "ActiveConfigRules")] == "recurring"
    # November restated: the rules charge now spreads over two hours, no longer one lump.
    restated = tmp_path / "restated"
    restated.mkdir()
    run_import(clean, config_month(restated, 11, [1, 2]))
    kinds = charge_types_of(clean)
    assert kinds[("11", "ActiveConfigRules")] == "usage"
    assert kinds[("12", "ActiveConfigRules")] == "usage"  # its month before is no lump now
    _, cost, _ = totals(clean)
    assert usage_cost(clean) == cost
