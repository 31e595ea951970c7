"""The export formats: how each is recognised from its header and how its columns map.

The mapping table in the import documentation is this file; keep them in step.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from sentinel.importers import base
from sentinel.importers.base import ExportError, Position


@dataclass
class Format:
    """One export format: its name, the columns it needs, and the mapping of a batch."""

    name: str
    columns: dict[str, str]  # role -> column name in this file
    tag_columns: dict[str, str] = field(default_factory=dict)  # tag key -> column name
    tags_column: str | None = None  # one column holding all tags (JSON text or a map)
    product_column: str | None = None  # CUR 2.0: product attributes (JSON text or a map)
    tags_without_braces: bool = False
    date_formats: Sequence[str] = ()
    null_values: list[str] = field(default_factory=lambda: [""])

    def wanted(self) -> list[str]:
        names = [*self.columns.values(), *self.tag_columns.values()]
        names += [name for name in (self.tags_column, self.product_column) if name]
        return list(dict.fromkeys(names))

    def map(self, batch: pa.RecordBatch, position: Position) -> dict[str, pa.Array]:
        rows = batch.num_rows
        col = self.columns

        def raw(role: str) -> pa.Array | None:
            return batch.column(col[role]) if role in col else None

        def txt(role: str) -> pa.Array | None:
            values = raw(role)
            return None if values is None else base.text(values)

        # CUR 2.0 moved the product name into its product map; the product code (AmazonEC2)
        # is the last resort, so that a switch from legacy CUR keeps a service's name.
        product_name = None
        if self.product_column:
            product = batch.column(self.product_column)
            product_name = base.text(
                base.map_value(product, "product_name", self.product_column, position)
            )
        service_role = "service" if "service" in col else "service_code"
        service = base.service(
            base.coalesce(txt("service"), product_name, txt("service_code")),
            col.get(service_role, "service"),
            position,
        )
        region = base.region(
            base.coalesce(txt("region"), txt("zone"), default="global"),
            col.get("region", "region"),
            position,
        )
        billing_account = base.coalesce(txt("billing_account"), default="")
        account = base.account(
            base.coalesce(txt("account"), billing_account), col["account"], position
        )
        charge_type, provider_charge_type = base.charge_types(txt("charge_type"), rows)
        periods = base.dates(raw("period"), col["period"], position, formats=self.date_formats)
        return {
            "service": service,
            "cost": base.cost(raw("cost"), col["cost"], position),
            "timestamp": base.timestamps(
                raw("timestamp"), col["timestamp"], position, formats=self.date_formats
            ),
            "region": region,
            "account_id": account,
            "charge_type": charge_type,
            "provider_charge_type": provider_charge_type,
            "usage_type": txt("usage_type") if "usage_type" in col else pa.nulls(rows, pa.string()),
            "currency": base.coalesce(txt("currency"), default="USD"),
            "billing_period_start": periods,
            "billing_account_id": billing_account,
            "tags": self._tags(batch, position),
        }

    def _tags(self, batch: pa.RecordBatch, position: Position) -> pa.Array:
        if self.tags_column:
            values = batch.column(self.tags_column)
            if pa.types.is_map(values.type):
                return base.tags_from_map(values)
            return base.tags_from_json(
                base.text(values), self.tags_column, position, braces=self.tags_without_braces
            )
        return base.tags_from_columns(
            {key: batch.column(name) for key, name in self.tag_columns.items()}, batch.num_rows
        )


def _lookup(header: Sequence[str]) -> dict[str, str]:
    """Case-insensitive column lookup (Azure's EA and MCA exports differ in case)."""
    return {name.lower(): name for name in header}


def _pick(found: dict[str, str], *candidates: str) -> str | None:
    for candidate in candidates:
        if candidate.lower() in found:
            return found[candidate.lower()]
    return None


def _roles(found: dict[str, str], wanted: dict[str, tuple[str, ...]]) -> dict[str, str]:
    roles = {}
    for role, candidates in wanted.items():
        if name := _pick(found, *candidates):
            roles[role] = name
    return roles


def _require(file: str, roles: dict[str, str], fmt: str, needed: dict[str, tuple[str, ...]]):
    for role, candidates in needed.items():
        if role not in roles:
            raise ExportError(
                file,
                f"the header looks like {fmt} but has no {' or '.join(candidates)} column",
                line=1,
            )


# Legacy CUR in CSV: "lineItem/UnblendedCost"; tag columns "resourceTags/user:Name".
CUR_LEGACY = {
    "cost": ("lineItem/UnblendedCost",),
    "timestamp": ("lineItem/UsageStartDate",),
    "service": ("product/ProductName",),
    "service_code": ("lineItem/ProductCode",),
    "region": ("product/region",),
    "zone": ("lineItem/AvailabilityZone",),
    "account": ("lineItem/UsageAccountId",),
    "billing_account": ("bill/PayerAccountId",),
    "charge_type": ("lineItem/LineItemType",),
    "usage_type": ("lineItem/UsageType",),
    "currency": ("lineItem/CurrencyCode",),
    "period": ("bill/BillingPeriodStartDate",),
}
# CUR with snake_case names: the Athena/Parquet layout of legacy CUR and CUR 2.0 alike.
CUR_SNAKE = {
    "cost": ("line_item_unblended_cost",),
    "timestamp": ("line_item_usage_start_date",),
    "service": ("product_product_name",),
    "service_code": ("line_item_product_code",),
    "region": ("product_region", "product_region_code"),
    "zone": ("line_item_availability_zone",),
    "account": ("line_item_usage_account_id",),
    "billing_account": ("bill_payer_account_id",),
    "charge_type": ("line_item_line_item_type",),
    "usage_type": ("line_item_usage_type",),
    "currency": ("line_item_currency_code",),
    "period": ("bill_billing_period_start_date",),
}
FOCUS = {
    "cost": ("BilledCost",),
    "timestamp": ("ChargePeriodStart",),
    "service": ("ServiceName",),
    "region": ("RegionId", "RegionName"),
    "account": ("SubAccountId",),
    "billing_account": ("BillingAccountId",),
    "charge_type": ("ChargeCategory",),
    "currency": ("BillingCurrency",),
    "period": ("BillingPeriodStart",),
}
AZURE = {
    "cost": ("CostInBillingCurrency", "Cost", "PreTaxCost"),
    "timestamp": ("Date", "UsageDateTime"),
    "service": ("MeterCategory", "ConsumedService"),
    "region": ("ResourceLocation", "MeterRegion"),
    "account": ("SubscriptionId", "SubscriptionGuid"),
    "billing_account": ("BillingAccountId", "BillingProfileId"),
    "charge_type": ("ChargeType",),
    "usage_type": ("MeterName",),
    "currency": ("BillingCurrency", "BillingCurrencyCode", "Currency"),
    "period": ("BillingPeriodStartDate",),
}
_ALWAYS = ("cost", "timestamp", "account", "period")


def detect(file: str, header: Sequence[str], container: str) -> Format:
    """The format of an export from its column names; unknown headers are refused."""
    found = _lookup(header)
    kind = "parquet" if container == "parquet" else "csv"
    if "lineitem/unblendedcost" in found:
        roles = _roles(found, CUR_LEGACY)
        _require(file, roles, "a legacy AWS CUR", {r: CUR_LEGACY[r] for r in _ALWAYS})
        tags = {name.split("/", 1)[1]: name for name in header if name.startswith("resourceTags/")}
        return Format(f"aws-cur-{kind}", roles, tag_columns=tags)
    if "line_item_unblended_cost" in found:
        roles = _roles(found, CUR_SNAKE)
        # CUR 2.0 keeps tags in one map column (JSON text in CSV); the legacy Athena layout
        # flattens them into resource_tags_user_<key> columns.
        if "resource_tags" in found:
            _require(file, roles, "an AWS CUR 2.0", {r: CUR_SNAKE[r] for r in _ALWAYS})
            return Format(
                f"aws-cur2-{kind}",
                roles,
                tags_column=found["resource_tags"],
                product_column=found.get("product"),
            )
        _require(file, roles, "an AWS CUR (Athena layout)", {r: CUR_SNAKE[r] for r in _ALWAYS})
        tags = {
            name.removeprefix("resource_tags_"): name
            for name in header
            if name.startswith("resource_tags_")
        }
        return Format(f"aws-cur-{kind}", roles, tag_columns=tags)
    if "billedcost" in found and "chargeperiodstart" in found:
        roles = _roles(found, FOCUS)
        _require(file, roles, "FOCUS", {r: FOCUS[r] for r in (*_ALWAYS, "service")})
        return Format(
            f"focus-{kind}",
            roles,
            tags_column=_pick(found, "Tags"),
            # The FOCUS sample writes nulls as the bare word NULL.
            null_values=["", "NULL"],
        )
    if "metercategory" in found and _pick(found, *AZURE["cost"]):
        roles = _roles(found, AZURE)
        _require(file, roles, "an Azure cost export", {r: AZURE[r] for r in _ALWAYS})
        return Format(
            f"azure-{kind}",
            roles,
            tags_column=_pick(found, "Tags"),
            tags_without_braces=True,
            date_formats=("%m/%d/%Y", "%Y-%m-%d"),
        )
    shown = ", ".join(list(header)[:6]) + (", ..." if len(header) > 6 else "")
    raise ExportError(
        file,
        "unknown export format: expected an AWS CUR (lineItem/UnblendedCost or "
        "line_item_unblended_cost), FOCUS (BilledCost, ChargePeriodStart) or Azure "
        f"(MeterCategory, Cost) header, found: {shown}",
        line=1,
    )
