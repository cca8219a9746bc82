"""Compare the three tier formulations of the compact model: LP relaxation and solve.

    python benchmarks/tier_forms.py instances/small --time-limit 60

For each instance and tier form: the LP relaxation's value (all integrality
relaxed), model size, and a time-limited MILP solve (status, objective, bound,
seconds). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import highspy
import numpy as np

from consortia import SolveOptions, read_instance, solve
from consortia.backend.highs import run, to_highs
from consortia.formulations.candidates import build_candidates
from consortia.formulations.compact.build import build_model
from consortia.formulations.compact.index import build_index

TIER_FORMS = {"compact": "multiple_choice", "compact-delta": "delta", "compact-convex": "convex"}


def lp_relaxation(path: Path, tiers: str) -> tuple[float, int, int]:
    inst = read_instance(path)
    sm = to_highs(build_model(build_index(build_candidates(inst)), tiers))
    n = sm.num_cols
    sm.highs.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kContinuous)
    )
    run(sm.highs)
    return float(sm.highs.getInfo().objective_function_value), sm.num_cols, sm.nonzeros


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(
        "| instance | tiers | LP relaxation | columns | nonzeros | status | objective | "
        "bound | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for set_dir in args.sets:
        for path in sorted(p for p in Path(set_dir).iterdir() if p.is_dir()):
            for name, tiers in TIER_FORMS.items():
                lp, cols, nnz = lp_relaxation(path, tiers)
                started = time.perf_counter()
                result = solve(
                    read_instance(path), SolveOptions(time_limit=args.time_limit, formulation=name)
                )
                seconds = time.perf_counter() - started
                print(
                    f"| {path.name} | {tiers} | {lp:,.2f} | {cols} | {nnz} | {result.status} | "
                    f"{result.objective:,.2f} | {result.best_bound:,.2f} | {seconds:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
