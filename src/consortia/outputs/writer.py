"""Write a result as the solution files of spec section 7, atomically.

Beside the files of the spec, ``uncovered.csv`` lists every demand pair the plan leaves
out with its reason (``rules/coverage.py``), and summary.json adds the savings
vocabulary (``rules/savings.py``), the pooled shares and the reasons' counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from consortia.folders import output_dir
from consortia.outputs.plan_files import write_plan_workbook
from consortia.rules.coverage import UNCOVERED_COLUMNS, Coverage, binding_periods, coverage
from consortia.rules.savings import savings_figures
from consortia.solvers.result import Result, lot_id


def plan_coverage(result: Result) -> Coverage:
    """The pooled shares of a result's plan and the reason of every pair it leaves out."""
    names = [lot_id(i) for i in range(len(result.outcomes))]
    return coverage(result.instance, result.outcomes, names)


def plan_summary(
    result: Result,
    covered: Coverage | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """summary.json: the result's summary, then the savings vocabulary, the coverage
    figures, the periods in which the formation limit binds, and `extra` (e.g. the
    value of one more formation slot, ``analysis/slots.py``; None until computed)."""
    inst = result.instance
    covered = covered if covered is not None else plan_coverage(result)
    out = result.summary()
    added: dict[str, object] = {
        **savings_figures(inst, result.outcomes).as_dict(),
        **covered.as_dict(),
        "formation_limit": inst.settings.max_parallel_formations,
        "formation_limit_binding_periods": binding_periods(inst, result.outcomes),
        "slot_value": None,
        **(extra or {}),
    }
    clash = set(out) & set(added)
    if clash:  # never silently replace a key other readers rely on
        raise RuntimeError(f"summary keys given twice: {', '.join(sorted(clash))}")
    out.update(added)
    return out


def uncovered_table(covered: Coverage) -> pd.DataFrame:
    """uncovered.csv: org_id, category_id, quantity, baseline_spend, reason, detail."""
    return pd.DataFrame([u.as_row() for u in covered.uncovered], columns=UNCOVERED_COLUMNS)


def write_result(
    result: Result,
    out_dir: str | Path,
    verify: Callable[[Path], None] | None = None,
    workbook: bool = False,
    command: str = "solve",
    covered: Coverage | None = None,
    extra: Mapping[str, object] | None = None,
) -> Path:
    """Write lots.csv, lot_members.csv, timeline.csv, uncovered.csv and summary.json
    into out_dir.

    Files go to a temporary folder beside out_dir first, which then replaces
    out_dir in one rename, so a reader never sees a half-written plan. `verify`
    is called on the temporary folder before the rename; if it raises, nothing
    is written. `out_dir` must be new, empty or a previous output of `command`
    (``outputs_guard``); anything else is refused untouched. With `workbook`,
    plan.xlsx (sheets summary, lots, members, timeline) is written beside the CSV
    files. `covered` is the plan's coverage when already computed (``plan_coverage``),
    `extra` more summary keys (``plan_summary``).

    A result without a plan (status ``infeasible`` or ``no_plan``, spec section 13)
    is written as summary.json alone (``write_summary_only``).
    """
    if not result.has_plan:
        return write_summary_only(result, out_dir, command, extra)
    covered = covered if covered is not None else plan_coverage(result)
    summary = plan_summary(result, covered, extra)
    with output_dir(out_dir, command) as tmp:
        result.lots_table().to_csv(tmp / "lots.csv", index=False)
        result.members_table().to_csv(tmp / "lot_members.csv", index=False)
        result.timeline_table().to_csv(tmp / "timeline.csv", index=False)
        uncovered_table(covered).to_csv(tmp / "uncovered.csv", index=False)
        with open(tmp / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(_jsonable(summary), fh, indent=2)
            fh.write("\n")
        if workbook:
            write_workbook(result, tmp / "plan.xlsx", summary)
        if verify is not None:
            verify(tmp)
    return Path(out_dir)


def write_summary_only(
    result: Result,
    out_dir: str | Path,
    command: str = "solve",
    extra: Mapping[str, object] | None = None,
) -> Path:
    """Write summary.json alone, atomically like every output: the status, null
    objective, bound and gap, and the conflict (spec section 13), then `extra`.
    No plan files: a folder that held a plan of the same command loses them, so
    no reader takes an old plan for the answer."""
    summary = result.summary()
    clash = set(summary) & set(extra or {})
    if clash:
        raise RuntimeError(f"summary keys given twice: {', '.join(sorted(clash))}")
    summary.update(extra or {})
    with (
        output_dir(out_dir, command) as tmp,
        open(tmp / "summary.json", "w", encoding="utf-8") as fh,
    ):
        json.dump(_jsonable(summary), fh, indent=2)
        fh.write("\n")
    return Path(out_dir)


def write_workbook(result: Result, path: Path, summary: Mapping[str, object] | None = None) -> None:
    """The plan as one Excel workbook, where analysts continue (number formats,
    names, period labels, frozen and filterable headers: ``plan_files``); `summary`
    is the summary.json written beside it (default the result's own)."""
    write_plan_workbook(result, path, summary)


def _cell(value: object) -> object:
    cleaned = _jsonable(value)
    return "" if cleaned is None else cleaned


def _jsonable(value: object) -> object:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
