"""What-if analysis (``consortia whatif``): solve a base and its scenarios, compare.

The base is solved first; its plan seeds every scenario's search wherever its lots
stay feasible. Scenarios are solved in parallel worker processes, or on a Dask
distributed cluster when a scheduler address is given. Every solve is recorded in
the run ledger. Output (written to a temporary folder, then renamed):

    OUT/<scenario>/...       each plan, as `consortia solve` writes it
    OUT/comparison.csv|.md   net savings, bound, gap, lots, largest consortium,
                             target period, cumulative savings at each year end
    OUT/savings.svg          cumulative savings curves against the target
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from consortia.analysis.ledger import Ledger
from consortia.analysis.parallel import Workers
from consortia.analysis.runs import RunSpec, checked_solve, record, write_checked
from consortia.analysis.scenarios import Scenario, apply_scenario
from consortia.data.instance import Instance
from consortia.folders import check_output_dir, output_dir
from consortia.outputs import svg
from consortia.outputs.terminal import period_label
from consortia.rules.plan import Lot
from consortia.solvers.options import SolveOptions
from consortia.solvers.result import Result


@dataclass(frozen=True)
class Job:
    name: str
    inst: Instance
    options: SolveOptions
    start: tuple[Lot, ...]


def solve_job(job: Job) -> Result:
    """Run in a worker: one scenario's solve."""
    return checked_solve(job.inst, job.options, start=list(job.start))


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-").lower() or "scenario"


def run_whatif(
    base: Instance,
    scenarios: list[Scenario],
    out_dir: str | Path,
    options: SolveOptions,
    workers: int = 2,
    scheduler: str | None = None,
    workbook: bool = False,
    ledger: Ledger | None = None,
    on_done: Callable[[str, Result, int, int], None] | None = None,
) -> pd.DataFrame:
    """Solve base and scenarios; write plans, comparison and plot; return the comparison."""
    check_output_dir(Path(out_dir), "whatif")  # refuse before solving
    instances = {s.name: apply_scenario(base, s) for s in scenarios}  # fail before solving
    total = len(scenarios) + 1
    base_result = checked_solve(base, options)
    results: dict[str, Result] = {"base": base_result}
    if on_done:
        on_done("base", base_result, 1, total)
    start = tuple(o.lot for o in base_result.outcomes)
    jobs = [Job(name, inst, options, start) for name, inst in instances.items()]
    for name, result in _execute(jobs, workers, scheduler):
        results[name] = result
        if on_done:
            on_done(name, result, len(results), total)
    ordered = {"base": results["base"], **{s.name: results[s.name] for s in scenarios}}

    out = Path(out_dir)
    with output_dir(out, "whatif") as tmp:
        names: dict[str, str] = {}
        for name, result in ordered.items():
            folder = slug(name)
            while folder in names.values():
                folder += "-x"
            names[name] = folder
            write_checked(result, tmp / folder, workbook=workbook)
        table = comparison(ordered, names)
        table.to_csv(tmp / "comparison.csv", index=False)
        (tmp / "comparison.md").write_text(_markdown(table), encoding="utf-8")
        (tmp / "savings.svg").write_text(savings_plot(ordered), encoding="utf-8")
    for name, result in ordered.items():
        options_of = {
            "time_limit": options.time_limit,
            "gap": options.gap,
            "seed": options.seed,
            "workers": workers,
            "scheduler": scheduler,
        }
        spec = RunSpec("whatif", base.source or base.name, options_of, scenario=name)
        record(ledger, spec, result, out / names[name])
    return table


def _execute(jobs: list[Job], workers: int, scheduler: str | None) -> list[tuple[str, Result]]:
    if not jobs:
        return []
    with Workers(workers, scheduler) as pool:
        return [(jobs[i].name, result) for i, result in pool.map(solve_job, jobs)]


def year_ends(inst: Instance) -> list[tuple[str, int]]:
    """(label, period) of each year end within the horizon: calendar years when
    period 1 is labelled YYYYQn, else every four periods."""
    horizon = inst.settings.horizon
    start = inst.settings.period_start or ""
    match = re.fullmatch(r"(\d{4})Q([1-4])", start)
    if match:
        year, quarter = int(match.group(1)), int(match.group(2))
        first = 5 - quarter  # period of the first Q4
        return [(str(year + k), p) for k, p in enumerate(range(first, horizon + 1, 4))]
    return [(f"year {k + 1}", p) for k, p in enumerate(range(4, horizon + 1, 4))]


def comparison(results: dict[str, Result], folders: dict[str, str]) -> pd.DataFrame:
    rows = []
    for name, r in results.items():
        cumulative = r.timeline_table()["cumulative_savings"].tolist()
        row: dict[str, object] = {
            "scenario": name,
            "folder": folders[name],
            "status": r.status,
            "net_savings": round(r.objective, 2),
            "best_bound": round(r.best_bound, 2),
            "gap": round(r.gap, 6),
            "lots": len(r.outcomes),
            "largest_consortium": max((len(o.lot.members) for o in r.outcomes), default=0),
            "target_period": r.target_period,
        }
        for label, period in year_ends(r.instance):
            # without a plan (spec section 13) there are no savings to show
            row[f"savings_by_{label}"] = round(cumulative[period - 1], 2) if r.has_plan else None
        rows.append(row)
    table = pd.DataFrame(rows)
    table["target_period"] = table["target_period"].astype("Int64")
    return table


def savings_plot(results: dict[str, Result]) -> str:
    base = results["base"].instance
    horizon = max(r.instance.settings.horizon for r in results.values())
    series = {}
    for name, r in results.items():
        # each curve ends at its own horizon; a scenario without a plan has none
        if r.has_plan:
            series[name] = r.timeline_table()["cumulative_savings"].tolist()
    labels = [
        period_label(base.settings.period_start, p).split("(")[-1].rstrip(")")
        for p in range(1, horizon + 1)
    ]
    chart = svg.line_chart(series, labels, base.settings.savings_target, width=820, height=360)
    legend = "".join(
        f'<tspan x="10" dy="16" fill="{svg.PALETTE[k % len(svg.PALETTE)]}">— {name}</tspan>'
        for k, name in enumerate(series)
    )
    height = 20 + 16 * len(series)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="820" height="{360 + height}">'
        + chart
        + f'<text x="0" y="360" font-size="12">{legend}</text></svg>'
    )


def _markdown(table: pd.DataFrame) -> str:
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        cells = []
        for v in row:
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                cells.append("")
            elif isinstance(v, float):
                cells.append(f"{v:,.2f}" if abs(v) >= 1 or v == 0 else f"{v:.4f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
