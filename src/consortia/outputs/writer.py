"""Write a result as the solution files of spec section 7, atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from consortia.folders import output_dir
from consortia.solvers.result import Result


def write_result(
    result: Result,
    out_dir: str | Path,
    verify: Callable[[Path], None] | None = None,
    workbook: bool = False,
    command: str = "solve",
) -> Path:
    """Write lots.csv, lot_members.csv, timeline.csv and summary.json into out_dir.

    Files go to a temporary folder beside out_dir first, which then replaces
    out_dir in one rename, so a reader never sees a half-written plan. `verify`
    is called on the temporary folder before the rename; if it raises, nothing
    is written. `out_dir` must be new, empty or a previous output of `command`
    (``outputs_guard``); anything else is refused untouched. With `workbook`,
    plan.xlsx (sheets summary, lots, members, timeline) is written beside the CSV
    files.
    """
    with output_dir(out_dir, command) as tmp:
        result.lots_table().to_csv(tmp / "lots.csv", index=False)
        result.members_table().to_csv(tmp / "lot_members.csv", index=False)
        result.timeline_table().to_csv(tmp / "timeline.csv", index=False)
        with open(tmp / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(_jsonable(result.summary()), fh, indent=2)
            fh.write("\n")
        if workbook:
            write_workbook(result, tmp / "plan.xlsx")
        if verify is not None:
            verify(tmp)
    return Path(out_dir)


def write_workbook(result: Result, path: Path) -> None:
    """The plan as one Excel workbook, where analysts continue."""
    summary = {
        k: "; ".join(map(str, v)) if isinstance(v, list) else v
        for k, v in result.summary().items()
        if not isinstance(v, dict)
    }
    summary_frame = pd.DataFrame(
        {"key": list(summary), "value": [_cell(v) for v in summary.values()]}
    )
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        summary_frame.to_excel(book, sheet_name="summary", index=False)
        result.lots_table().to_excel(book, sheet_name="lots", index=False)
        result.members_table().to_excel(book, sheet_name="members", index=False)
        result.timeline_table().to_excel(book, sheet_name="timeline", index=False)


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
