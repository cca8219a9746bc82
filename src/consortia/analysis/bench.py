"""Benchmarks (``consortia bench``): every instance of some sets with every formulation.

Each solve runs in a fresh child process, one at a time, so its peak memory is its
own and its timings are not shared. Per run: status, objective, bound, gap, root
bound (before branching), build and solve seconds, nodes, peak memory. Summary
rows per formulation: instances solved to proven optimality and the shifted
geometric mean of the total times (shift 10 s; unsolved runs count at the time
limit). A Dolan–Moré performance profile (PNG) plots, for each formulation, the
share of instances solved within a factor tau of the fastest formulation.
"""

from __future__ import annotations

import csv
import json
import math
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from consortia.errors import UsageError
from consortia.folders import check_output_dir, output_dir

FIELDS = [
    "set",
    "instance",
    "formulation",
    "status",
    "objective",
    "best_bound",
    "gap",
    "root_bound",
    "build_s",
    "solve_s",
    "total_s",
    "nodes",
    "peak_mib",
    "model_size",
    "published",
    "reproduced",
]
SHIFT = 10.0


def solve_in_this_process(
    path: str, formulation: str, time_limit: float | None, ledger: str | None, gap: float = 1e-6
) -> dict[str, Any]:
    """Solve one instance (run by the child process) and return its figures."""
    from consortia.analysis.ledger import Ledger
    from consortia.analysis.runs import RunSpec, checked_solve, record
    from consortia.data.cflp import published_check
    from consortia.data.reader import read_instance
    from consortia.solvers.options import SolveOptions

    started = time.perf_counter()
    inst = read_instance(path)
    options = SolveOptions(time_limit=time_limit, gap=gap, formulation=formulation)
    result = checked_solve(inst, options)
    total = time.perf_counter() - started
    spec = RunSpec(
        "bench", path, {"time_limit": time_limit, "formulation": formulation, "gap": gap}
    )
    record(Ledger(ledger), spec, result)
    return {
        "formulation": result.formulation,
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "root_bound": result.root_bound,
        "build_s": result.timings.build_seconds,
        "solve_s": result.solve_seconds,
        "total_s": total,
        "nodes": result.nodes,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "model_size": " ".join(f"{k}={v}" for k, v in result.model_size.items()),
        **(published_check(path, result.objective) or {}),
    }


def instances_of(sets: list[Path]) -> list[tuple[str, Path]]:
    out = []
    for set_dir in sets:
        if not set_dir.is_dir():
            raise UsageError(f"no instance set at '{set_dir}'")
        found = sorted(p for p in set_dir.iterdir() if p.is_dir() or p.suffix == ".xlsx")
        if not found:
            raise UsageError(f"'{set_dir}' holds no instances (folders or .xlsx workbooks)")
        out += [(set_dir.name, p) for p in found]
    return out


def run_bench(
    sets: list[Path],
    formulations: list[str],
    time_limit: float | None,
    out_dir: Path,
    ledger: str | None = None,
    on_done: Callable[[int, int, dict[str, Any]], None] | None = None,
    gap: float = 1e-6,
) -> list[dict[str, Any]]:
    check_output_dir(out_dir, "bench")  # refuse before hours of solving
    runs = [(s, p, f) for s, p in instances_of(sets) for f in formulations]
    rows = []
    for k, (set_name, path, formulation) in enumerate(runs, start=1):
        cmd = [
            sys.executable,
            "-m",
            "consortia.analysis.bench",
            str(path),
            formulation,
            "" if time_limit is None else str(time_limit),
            ledger or "",
            repr(gap),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        row: dict[str, Any] = {"set": set_name, "instance": path.name}
        if proc.returncode == 0:
            row.update(json.loads(proc.stdout.strip().splitlines()[-1]))
            row["formulation"] = formulation  # the requested name
        else:
            reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
            row.update({"formulation": formulation, "status": f"failed: {reason}"})
        rows.append(row)
        if on_done:
            on_done(k, len(runs), row)
    with output_dir(out_dir, "bench") as tmp:
        write_outputs(rows, formulations, time_limit, tmp)
    return rows


def shifted_geometric_mean(times: list[float], shift: float = SHIFT) -> float:
    if not times:
        return math.nan
    return math.exp(sum(math.log(t + shift) for t in times) / len(times)) - shift


def summary(
    rows: list[dict[str, Any]], formulations: list[str], time_limit: float | None
) -> list[dict[str, Any]]:
    out = []
    for f in formulations:
        mine = [r for r in rows if r["formulation"] == f]
        times = [
            (r["total_s"] if r.get("status") == "optimal" else (time_limit or r.get("total_s", 0)))
            for r in mine
            if "total_s" in r
        ]
        out.append(
            {
                "formulation": f,
                "instances": len(mine),
                "solved": sum(1 for r in mine if r.get("status") == "optimal"),
                "sgm_total_s": shifted_geometric_mean(times),
            }
        )
    return out


def write_outputs(
    rows: list[dict[str, Any]], formulations: list[str], time_limit: float | None, out_dir: Path
) -> None:
    with open(out_dir / "results.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(FIELDS) + " |", "|" + "---|" * len(FIELDS)]
    for r in rows:
        lines.append("| " + " | ".join(_cell(r.get(f)) for f in FIELDS) + " |")
    lines += [
        "",
        "| formulation | instances | solved (proven optimal) | shifted geometric mean "
        f"of total seconds (shift {SHIFT:g}) |",
        "|---|---|---|---|",
    ]
    for s in summary(rows, formulations, time_limit):
        lines.append(
            f"| {s['formulation']} | {s['instances']} | {s['solved']} | {_cell(s['sgm_total_s'])} |"
        )
    known = [r for r in rows if r.get("published") is not None]
    if known:
        solved = [r for r in known if r.get("status") == "optimal"]
        good = sum(1 for r in solved if r.get("reproduced"))
        lines += [
            "",
            f"Published optima: {len(known)} runs have one; {len(solved)} are reported "
            f"optimal, and {good} of those reproduce it (relative 1e-6). "
            f"Reproduced by runs not proven optimal: "
            f"{sum(1 for r in known if r.get('reproduced') and r.get('status') != 'optimal')}.",
        ]
    (out_dir / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    performance_profile(rows, formulations, out_dir / "profile.png")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.2f}" if abs(v) >= 100 else f"{v:.4g}"
    return str(v)


def performance_profile(rows: list[dict[str, Any]], formulations: list[str], path: Path) -> None:
    """Dolan & Moré (2002): share of instances each formulation solves within tau
    times the best formulation's time (unsolved: never)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        key = (r["set"], r["instance"])
        solved = r.get("status") == "optimal"
        times.setdefault(key, {})[r["formulation"]] = r["total_s"] if solved else math.inf
    ratios: dict[str, list[float]] = {f: [] for f in formulations}
    for per in times.values():
        best = min(per.values())
        for f in formulations:
            t = per.get(f, math.inf)
            ratios[f].append(t / best if math.isfinite(best) and best > 0 else math.inf)
    finite = [x for xs in ratios.values() for x in xs if math.isfinite(x)]
    top = max(finite + [2.0]) * 1.1
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for f, xs in ratios.items():
        n = len(xs) or 1
        taus = sorted(x for x in xs if math.isfinite(x))
        steps_x = [1.0] + taus + [top]
        steps_y = [0.0] + [sum(1 for x in xs if x <= t) / n for t in taus] + [len(taus) / n]
        ax.step(steps_x, steps_y, where="post", label=f)
    ax.set_xscale("log")
    ax.set_xlim(1.0, top)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("tau (time / best time)")
    ax.set_ylabel("share of instances solved")
    ax.set_title("Performance profile")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":  # the child process of run_bench
    instance, name, limit, ledger_path, rel_gap = sys.argv[1:6]
    figures = solve_in_this_process(
        instance, name, float(limit) if limit else None, ledger_path or None, float(rel_gap)
    )
    print(json.dumps(figures))
