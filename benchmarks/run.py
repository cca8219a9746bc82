"""Benchmark harness used for benchmarks/RESULTS.md (the same as `consortia bench`).

    python benchmarks/run.py instances/small instances/medium --time-limit 120
    python benchmarks/run.py instances/medium --time-limit 120 --formulation compact

Each instance is solved in a fresh child process, one at a time; results.csv,
results.md and profile.png go to benchmarks/results/run-<date-time>/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from consortia.analysis.bench import run_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--formulation", default="auto", help="comma-separated formulations")
    parser.add_argument("--ledger", default=None, help="run ledger (default as consortia)")
    args = parser.parse_args()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(__file__).resolve().parent / "results" / f"run-{stamp}"

    def done(k: int, total: int, row: dict) -> None:
        print(
            f"[{k}/{total}] {row['instance']} {row['formulation']}: {row['status']} "
            f"{row.get('objective', '')} in {row.get('total_s', 0):.1f}s",
            file=sys.stderr,
        )

    run_bench(args.sets, args.formulation.split(","), args.time_limit, out, args.ledger, done)
    print((out / "results.md").read_text())


if __name__ == "__main__":
    main()
