"""Solve imported single-source CFLP instances and compare with published optima.

    python benchmarks/cflp_check.py ../shared/data/cflp --time-limit 60 \
        delmaire/p1 delmaire/p2 orlib-cap/cap61

Each file is imported (``consortia import cflp``), solved (default formulation)
at gap 1e-9, and its CFLP cost (cflp.json offset minus net savings) compared with
the ``single`` value of optima.csv (relative 1e-6). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from consortia import SolveOptions, read_instance, solve
from consortia.data.cflp import benchmark_file, cflp_cost, import_cflp, published_single_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the cflp data folder (with optima.csv)")
    parser.add_argument("files", nargs="+", help="set/name, e.g. delmaire/p1 or orlib-cap/cap61")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--formulation", default="auto")
    args = parser.parse_args()
    published = published_single_source(args.data)
    print("| set | instance | published | ours | our bound | status | matches (1e-6) | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for item in args.files:
            set_name, name = item.split("/")
            source, fmt, capacity = benchmark_file(args.data, item)
            folder = import_cflp(source, fmt, Path(tmp) / f"{set_name}-{name}", capacity)
            started = time.perf_counter()
            result = solve(
                read_instance(folder),
                SolveOptions(time_limit=args.time_limit, gap=1e-9, formulation=args.formulation),
            )
            cost = cflp_cost(folder, result.objective)
            bound = cflp_cost(folder, result.best_bound)
            target = published.get((set_name, name))
            match = "" if target is None else str(abs(cost - target) <= 1e-6 * target)
            print(
                f"| {set_name} | {name} | {target} | {cost:.2f} | {bound:.2f} | {result.status} "
                f"| {match} | {time.perf_counter() - started:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
