"""Import of billing export files (AWS CUR, FOCUS, Azure), recognised from their header."""

from sentinel.importers.base import ExportError
from sentinel.importers.pipeline import Export, checksum, import_export, import_file, open_export

__all__ = ["Export", "ExportError", "checksum", "import_export", "import_file", "open_export"]
