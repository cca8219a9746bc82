"""Scaling table of the default solve: 20 to 44,000 organizations.

    python benchmarks/scaling.py --time-limit 120 instances/small/s20-seed1 \
        instances/medium/m200-seed1 /work/big/g1000 ...

Each instance is solved by ``consortia solve`` in a fresh process (so peak memory
is the solve's own); the row holds the status, plan, bound and gap, the time
split (building and the search stages), rounds and columns, the peak memory, and
the plan against the greedy plan and the by-hand plan ("one lot per region and
category, biggest buyers first", ``formulations/regional.py``). Prints a Markdown
table and writes a log-log plot of wall time against organizations.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GREEDY_MAX_PAIRS = 12_000  # the greedy plan is computed for the table up to this size


def reference_plans(path: Path) -> tuple[float, float | None]:
    """Net savings of the by-hand plan and (when small enough) of the greedy plan."""
    from consortia import read_instance
    from consortia.formulations.candidates import build_candidates
    from consortia.formulations.greedy import greedy_plan, schedule_lots
    from consortia.formulations.regional import regional_lots
    from consortia.rules.plan import total_net

    inst = read_instance(path)
    by_hand = total_net(schedule_lots(inst, regional_lots(inst)))
    greedy = None
    if len(inst.demand) <= GREEDY_MAX_PAIRS:
        greedy = total_net(greedy_plan(build_candidates(inst)))
    return by_hand, greedy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", nargs="+", type=Path)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--plot", type=Path, default=Path("benchmarks/results/scaling.png"))
    args = parser.parse_args()
    print(
        "| instance | orgs | status | plan | bound | gap | wall s | build s | search stages s "
        "| rounds | columns | peak MiB | plan / greedy | plan / by hand |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    points = []
    for path in args.instances:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "plan"
            cmd = [sys.executable, "-m", "consortia.cli", "solve", str(path), "--out", str(out)]
            cmd += ["--quiet", "--time-limit", str(args.time_limit)]
            began = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - began
            if proc.returncode != 0:
                print(f"| {path.name} | | failed: {proc.stderr.strip()[-120:]} |")
                continue
            s = json.loads((out / "summary.json").read_text())
        orgs = len((path / "organizations.csv").read_text().splitlines()) - 1
        by_hand, greedy = reference_plans(path)
        t = s["timings"]
        stages = ", ".join(f"{k} {v:.1f}" for k, v in t["search"].items() if v >= 0.05)
        size = s["model_size"]
        columns = size.get("columns", "")
        gap = s["gap"]
        against_greedy = "—" if not greedy else f"{s['objective'] / greedy:.3f}"
        print(
            f"| {path.name} | {orgs:,} | {s['status']} | {s['objective']:,.0f} | "
            f"{s['best_bound'] or float('inf'):,.0f} | "
            f"{'—' if gap is None else f'{gap:.1%}'} | {wall:.1f} | {t['build_seconds']:.1f} | "
            f"{stages} | {s['iterations']} | {columns} | {s['peak_memory_mib']:,.0f} | "
            f"{against_greedy} | "
            f"{s['objective'] / by_hand:.3f} |",
            flush=True,
        )
        points.append((orgs, wall))
    if points:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        xs, ys = zip(*sorted(points), strict=True)
        ax.loglog(xs, ys, "o-")
        ax.set_xlabel("organizations")
        ax.set_ylabel("wall time of consortia solve (s)")
        ax.set_title(f"Default solve, --time-limit {args.time_limit:g}")
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
