"""Generated requests from Sentinel's own OpenAPI document (schemathesis) against a real server.

Starts `sentinel serve` on 127.0.0.1 over a scratch database with SENTINEL_AUTH=required, makes
one key per scope with `sentinel keys create` (as a user would), and runs schemathesis once with
no key and once with each key; fails on any 5xx (`not_a_server_error`). Not part of `make test`:
30 examples per operation take several minutes on two cores.
Usage: python bench/fuzz_openapi.py [examples per operation, default 30]
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.live import BIN, live_server

from scratch import scratch_database

SCOPES = ("read", "write", "admin")


def make_key(database_url: str, scope: str) -> str:
    """A key made by `sentinel keys create`: the token is alone on its output's last line."""
    made = subprocess.run(
        [str(BIN / "sentinel"), "keys", "create", "--name", f"fuzz-{scope}", "--scope", scope],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout.strip().splitlines()[-1]


def fuzz(base: str, examples: str, token: str | None, *selection: str) -> int:
    headers = [] if token is None else ["--header", f"Authorization: Bearer {token}"]
    return subprocess.call(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{base}/docs/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            examples,
            # Longer than the server's own bound on detection (SENTINEL_DETECTION_TIMEOUT,
            # 120 s): every request gets the server's answer, a result or its 503. The slowest
            # generated call, method=robust&granularity=record&window=366d over the year the
            # fuzzer seeds, takes about 90 s on two cores.
            "--request-timeout",
            "150",
            *headers,
            *selection,
        ]
    )


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "30"
    failed = []
    with (
        scratch_database("sentinel_fuzz") as url,
        live_server(url, auth="required", allow_seed="true") as (base, _),
    ):
        keys = {scope: make_key(url, scope) for scope in SCOPES}
        # The admin key could revoke itself (the fuzzer lists the keys, then deletes them by
        # name), leaving the rest of its run to 401s: key deletion is fuzzed last, on its own.
        revoking = ("--include-method", "DELETE", "--include-path", "/api/v1/keys/{name}")
        runs = [
            ("no key", None, ()),
            *((f"{scope} key", keys[scope], ()) for scope in SCOPES[:-1]),
            ("admin key", keys["admin"], ("--exclude-path", "/api/v1/keys/{name}")),
            ("admin key, revoking keys", keys["admin"], revoking),
        ]
        for who, token, selection in runs:
            print(f"\n== generated requests with {who} ==", flush=True)
            if fuzz(base, examples, token, *selection) != 0:
                failed.append(who)
    print(f"\nfailed: {', '.join(failed)}" if failed else "\nno server error with any key")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
