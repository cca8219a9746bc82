"""Solve imported single-source CFLP instances and compare with published optima.

    python benchmarks/cflp_check.py ../shared/data/cflp --time-limit 60 \
        delmaire/p1 delmaire/p2 orlib-cap/cap61

Each file is imported (``consortia import cflp``), solved (default formulation)
at gap 1e-9, and its CFLP cost (cflp.json offset minus net savings) compared with
the ``single`` value of optima.csv (relative 1e-6). "bound valid" says whether
the proven bound, in CFLP terms a lower bound on the cost, is at most the
published optimum — a bound above it would be a false proof. With ``--verify``
every optimal claim is also re-proved by SCIP and by another formulation
(``consortia solve --verify``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from consortia import SolveOptions, read_instance, solve
from consortia.analysis.verify import verify
from consortia.data.cflp import benchmark_file, cflp_cost, import_cflp, published_single_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the cflp data folder (with optima.csv)")
    parser.add_argument("files", nargs="+", help="set/name, e.g. delmaire/p1 or orlib-cap/cap61")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--formulation", default="auto")
    parser.add_argument("--verify", action="store_true", help="re-prove optimal claims")
    args = parser.parse_args()
    published = published_single_source(args.data)
    print(
        "| set | instance | published | ours | our bound | status | matches (1e-6) "
        "| bound valid | verify | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
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
            valid = "" if target is None else str(bound <= target * (1 + 1e-6))
            verdicts = ""
            if args.verify:
                verdicts = ", ".join(
                    f"{v.witness}: {v.status}" for v in verify(result, args.time_limit)
                )
            print(
                f"| {set_name} | {name} | {target} | {cost:.2f} | {bound:.2f} | {result.status} "
                f"| {match} | {valid} | {verdicts} | {time.perf_counter() - started:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
