"""Score the recommended detector on every data set, optionally after `create or replace`
statements from SQL files (one line per file), to compare detector changes before writing a
migration. Each file is applied in a transaction that is rolled back afterwards.

    .venv/bin/python bench/try_detector.py [candidate.sql ...]
"""

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from eval_detectors import DATA, generated, generated_shifts, microsoft, nab, score
from scratch import scratch_database
from sentinel.db import load_queries
from sentinel.detection import DEFAULTS, RECOMMENDED_METHOD

HERE = Path(__file__).resolve().parent


def main() -> int:
    sets = {
        "spikes": generated("spikes", 0),
        "surges": generated("surges", 0),
        "shifts": generated_shifts(0),
    }
    if DATA.is_dir():
        sets["nab"] = nab()
        sets["ms"] = microsoft()
    queries = load_queries(HERE / "sql")
    window, threshold = DEFAULTS[RECOMMENDED_METHOD]
    params = {
        "method": RECOMMENDED_METHOD,
        "granularity": "hour",
        "window": window,
        "threshold": threshold,
    }
    with scratch_database("sentinel_try") as url, psycopg.connect(url) as conn:
        for data in sets.values():
            for one in data:
                conn.execute(
                    queries["eval_load"],
                    {"service": one.name, "costs": one.values, "timestamps": one.times},
                )
        conn.commit()
        print("| candidate | " + " | ".join(sets) + " | s |")
        for candidate in [None, *sys.argv[1:]]:
            began = time.perf_counter()
            if candidate:
                conn.execute(Path(candidate).read_text())
            flags: dict[str, list[tuple[datetime, bool]]] = {}
            for service, at, anomaly in conn.execute(queries["eval_detect"], params):
                flags.setdefault(service, []).append((at, anomaly))
            conn.rollback()
            cells = []
            for data in sets.values():
                result = score(data, flags, timedelta(hours=1))
                first = "-" if result.first_bucket is None else f"{result.first_bucket:.0%}"
                cells.append(
                    f"{result.f1:.2f} (p {result.precision:.2f} r {result.recall:.2f} "
                    f"{first} n {result.alarms})"
                )
            name = Path(candidate).stem if candidate else "current"
            print(f"| {name} | " + " | ".join(cells) + f" | {time.perf_counter() - began:.0f} |")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
