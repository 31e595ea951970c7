"""Per series: the windows the recommended detector misses and the false alarms it raises.

    .venv/bin/python bench/diagnose_ms.py [--data ms|nab|spikes|surges|shifts] [--sql extra.sql]

--sql applies a file of `create or replace` statements to the scratch database first (to try a
detector change before writing its migration).
"""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from eval_detectors import generated, generated_shifts, microsoft, nab
from scratch import scratch_database
from sentinel.db import load_queries
from sentinel.detection import DEFAULTS, RECOMMENDED_METHOD

HERE = Path(__file__).resolve().parent
DETAIL = """
select service, bucket, cost, expected, spread, score, anomaly, baseline_count
from sentinel.detect(%(method)s, 'hour', array['service'], %(window)s, %(threshold)s)
order by service, bucket
"""


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:10.3f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="ms")
    parser.add_argument("--sql")
    args = parser.parse_args()
    data = {
        "ms": microsoft,
        "nab": nab,
        "spikes": lambda: generated("spikes", 0),
        "surges": lambda: generated("surges", 0),
        "shifts": lambda: generated_shifts(0),
    }[args.data]()
    queries = load_queries(HERE / "sql")
    window, threshold = DEFAULTS[RECOMMENDED_METHOD]
    with scratch_database("sentinel_diag") as url, psycopg.connect(url) as conn:
        if args.sql:
            conn.execute(Path(args.sql).read_text())
        for one in data:
            conn.execute(
                queries["eval_load"],
                {"service": one.name, "costs": one.values, "timestamps": one.times},
            )
        conn.commit()
        rows: dict[str, list[tuple]] = {}
        params = {"method": RECOMMENDED_METHOD, "window": window, "threshold": threshold}
        for row in conn.execute(DETAIL, params):
            rows.setdefault(row[0], []).append(row[1:])
    for one in data:
        points = rows.get(one.name, [])
        print(f"\n== {one.name}: {len(one.windows)} windows")

        def show(mark: str, point: tuple) -> None:
            at, cost, expected, spread, score, anomaly, count = point
            print(
                f"  {mark} {at:%Y-%m-%d %H} cost {fmt(cost)} exp {fmt(expected)} "
                f"spread {fmt(spread)} score {fmt(score)} n {count}{' FLAG' if anomaly else ''}"
            )

        for start, end in one.windows:
            inside = [p for p in points if start <= p[0] < end]
            found = any(p[5] for p in inside)
            print(
                f" window {start:%Y-%m-%d %H} .. {end:%H} ({len(inside)} h): "
                f"{'found' if found else 'MISSED'}"
            )
            if not found or args.data != "ms":
                for p in inside:
                    show(" ", p)
        run: list[tuple] = []
        for p in [*points, (datetime.max.replace(tzinfo=UTC), 0, 0, 0, 0, False, 0)]:
            if p[5]:
                run.append(p)
                continue
            if run and not any(s <= r[0] < e for r in run for s, e in one.windows):
                print(" false alarm:")
                for r in run:
                    show(" ", r)
            run = []
    return 0


if __name__ == "__main__":
    sys.exit(main())
