"""Solve imported single-source CFLP instances and compare with published optima.

    python benchmarks/cflp_check.py ../shared/data/cflp --time-limit 60 \
        delmaire/p1 delmaire/p2 orlib-cap/cap61

Each file is imported (``consortia import cflp``), solved (default formulation)
at gap 1e-9, and its CFLP cost (cflp.json offset minus net savings) compared with
the ``single`` value of optima.csv (relative 1e-6). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from consortia import SolveOptions, read_instance, solve
from consortia.cflp import cflp_cost, import_cflp

FORMAT = {"orlib-cap": "orlib", "holmberg": "holmberg", "delmaire": "delmaire"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the cflp data folder (with optima.csv)")
    parser.add_argument("files", nargs="+", help="set/name, e.g. delmaire/p1 or orlib-cap/cap61")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--formulation", default="auto")
    args = parser.parse_args()
    with open(args.data / "optima.csv") as fh:
        published = {
            (r["set"], r["instance"]): float(r["optimal_value"])
            for r in csv.DictReader(fh)
            if r["variant"] == "single"
        }
    print("| set | instance | published | ours | our bound | status | matches (1e-6) | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for item in args.files:
            set_name, name = item.split("/")
            fmt = FORMAT[set_name]
            base, _, cap = name.partition("_")  # capa_8000: capa.txt at capacity 8000
            source = args.data / set_name / (base + ".txt" if fmt == "orlib" else base)
            folder = import_cflp(
                source, fmt, Path(tmp) / f"{set_name}-{name}", float(cap) if cap else None
            )
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
