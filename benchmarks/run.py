"""Benchmark harness: solve every instance of the given sets and record the figures.

    python benchmarks/run.py instances/small instances/medium --time-limit 120

Each instance is solved in a fresh child process (so peak memory is its own) and
one at a time (so timings are not shared with another solve). Writes a CSV and a
Markdown table to benchmarks/results/ and prints the table.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

FIELDS = [
    "set",
    "instance",
    "orgs",
    "categories",
    "offers",
    "formulation",
    "status",
    "objective",
    "best_bound",
    "gap",
    "model_size",
    "build_s",
    "solve_s",
    "total_s",
    "peak_mib",
]


def solve_one(
    path: str, time_limit: float | None, formulation: str, ledger: str | None
) -> dict[str, object]:
    """Run in the child process: solve, check, record, and report the figures as JSON."""
    from consortia import SolveOptions, read_instance, solve
    from consortia.ledger import Ledger, RunRecord
    from consortia.plan import assess_plan

    started = time.perf_counter()
    inst = read_instance(path)
    result = solve(inst, SolveOptions(time_limit=time_limit, formulation=formulation))
    total = time.perf_counter() - started
    assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible
    Ledger(ledger).record(
        RunRecord("bench", path, inst.sha256, result.status, result.objective,
                  result.best_bound, result.gap, formulation=result.formulation,
                  options={"time_limit": time_limit, "formulation": formulation},
                  timings=result.timings)
    )
    t = result.timings
    build = sum(v for k, v in t.items() if k.endswith(("candidates", "build", "handoff")))
    return {
        "orgs": len(inst.organizations),
        "categories": len(inst.categories),
        "offers": len(inst.offers),
        "formulation": result.formulation,
        "status": result.status,
        "objective": round(result.objective, 2),
        "best_bound": round(result.best_bound, 2),
        "gap": round(result.gap, 5),
        "model_size": " ".join(f"{k}={v}" for k, v in result.model_size.items()),
        "build_s": round(build, 2),
        "solve_s": round(result.solve_seconds, 2),
        "total_s": round(total, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--formulation", default="auto")
    parser.add_argument("--ledger", default=None, help="run ledger (default as consortia)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(solve_one(args.one, args.time_limit, args.formulation, args.ledger)))
        return
    rows = []
    for set_dir in args.sets:
        for inst in sorted(p for p in Path(set_dir).iterdir() if p.is_dir()):
            cmd = [
                sys.executable,
                __file__,
                "--one",
                str(inst),
                "--time-limit",
                str(args.time_limit),
                "--formulation",
                args.formulation,
                set_dir,
            ]
            if args.ledger:
                cmd += ["--ledger", args.ledger]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"{inst}: failed\n{proc.stderr}", file=sys.stderr)
                continue
            row = {
                "set": Path(set_dir).name,
                "instance": inst.name,
                **json.loads(proc.stdout.strip().splitlines()[-1]),
            }
            rows.append(row)
            print(
                f"{inst.name}: {row['status']} {row['objective']} gap {row['gap']} "
                f"in {row['total_s']} s",
                file=sys.stderr,
            )
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(out_dir / f"run-{stamp}.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(FIELDS) + " |", "|" + "---|" * len(FIELDS)]
    lines += ["| " + " | ".join(str(r[f]) for f in FIELDS) + " |" for r in rows]
    table = "\n".join(lines)
    (out_dir / f"run-{stamp}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
