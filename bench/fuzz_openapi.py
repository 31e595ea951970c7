"""Generated requests from Sentinel's own OpenAPI document (schemathesis) against a real server.

Starts `sentinel serve` on 127.0.0.1 over a scratch database and fails on any 5xx
(`not_a_server_error`). Not part of `make test`: a run of 30 examples per operation takes a few
minutes on two cores. Usage: python bench/fuzz_openapi.py [examples per operation, default 30]
"""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.live import BIN, live_server

from scratch import scratch_database


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "30"
    with scratch_database("sentinel_fuzz") as url, live_server(url) as (base, _):
        return subprocess.call(
            [
                str(BIN / "schemathesis"),
                "run",
                f"{base}/docs/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                examples,
                # Detection over a year of seeded records may take longer than this; that is a
                # slow answer (bounded by SENTINEL_DETECTION_TIMEOUT), not a failure.
                "--request-timeout",
                "30",
            ]
        )


if __name__ == "__main__":
    raise SystemExit(main())
