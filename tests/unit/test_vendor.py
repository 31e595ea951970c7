"""The dashboard's vendored libraries are all there and exactly as `make vendor` copied them: a
partial refresh, or a file edited by hand, fails here rather than in someone's browser."""

import hashlib
import json
from pathlib import Path

import sentinel

VENDOR = Path(sentinel.__file__).parent / "ui" / "vendor"


def _manifest() -> dict[str, str]:
    entries = {}
    for line in (VENDOR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        entries[name.lstrip("*")] = digest
    return entries


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    manifest = _manifest()
    assert {"uplot/uPlot.iife.min.js", "swagger-ui/swagger-ui-bundle.js"} <= manifest.keys()
    for name, digest in manifest.items():
        path = VENDOR / name
        assert path.is_file(), f"{name} is listed in SHA256SUMS but missing (run make vendor)"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name


def test_no_unlisted_file_sits_among_the_vendored_ones() -> None:
    listed = set(_manifest())
    present = {
        path.relative_to(VENDOR).as_posix()
        for folder in ("uplot", "swagger-ui")
        for path in (VENDOR / folder).rglob("*")
        if path.is_file()
    }
    assert present == listed


def test_the_lock_pins_the_versions_the_readme_names() -> None:
    lock = json.loads((VENDOR / "package-lock.json").read_text())["packages"]
    assert lock["node_modules/uplot"]["version"] == "1.6.32"
    assert lock["node_modules/swagger-ui-dist"]["version"] == "5.35.0"
    for entry in (lock["node_modules/uplot"], lock["node_modules/swagger-ui-dist"]):
        assert entry["integrity"].startswith("sha512-")
    readme = (VENDOR / "README.md").read_text()
    assert "1.6.32" in readme
    assert "5.35.0" in readme
