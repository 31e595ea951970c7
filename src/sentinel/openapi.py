"""Corrections to the generated OpenAPI document where Litestar cannot infer the truth."""

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

# What POST /import reads (its handler reads the raw stream, so Litestar sees no body).
IMPORT_MEDIA_TYPES = (
    "application/octet-stream",
    "text/csv",
    "application/gzip",
    "application/zip",
    "application/vnd.apache.parquet",
)


@dataclass
class ImportOperation(Operation):
    """POST /import: the export file itself is the body, in one of IMPORT_MEDIA_TYPES."""

    def __post_init__(self) -> None:
        file = Schema(type=OpenAPIType.STRING, format="binary")
        self.request_body = RequestBody(
            required=True,
            description="The export file (CSV, gzip, zip or Parquet), recognised from its bytes.",
            content={media: OpenAPIMediaType(schema=file) for media in IMPORT_MEDIA_TYPES},
        )


@dataclass
class OverlappingAlternatives(Operation):
    """Responses whose alternatives overlap (two array types that [] both match) are anyOf:
    oneOf would declare an empty list invalid."""

    def __post_init__(self) -> None:
        for response in (self.responses or {}).values():
            for media in (getattr(response, "content", None) or {}).values():
                schema = media.schema
                if isinstance(schema, Schema) and schema.one_of:
                    schema.any_of, schema.one_of = schema.one_of, None
