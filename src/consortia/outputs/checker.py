"""Independent check of a written plan (``consortia check``).

Only the lots' decisions are taken from the files — category, supplier, members
and formation start. Every other number is derived again from the instance by the
rules of the spec (:mod:`consortia.rules.plan`) and compared with what the files report.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from consortia.data.instance import Instance
from consortia.outputs.plan_files import decisions
from consortia.rules.plan import assess_plan, target_period, timeline
from consortia.solvers.result import LOT_COLUMNS, MEMBER_COLUMNS, TIMELINE_COLUMNS

REL = 1e-6


@dataclass
class CheckReport:
    violations: list[str] = field(default_factory=list)
    objective: float | None = None  # recomputed
    reported: float | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b))


def _read(path: Path, columns: list[str], report: CheckReport) -> pd.DataFrame | None:
    if not path.exists():
        report.violations.append(f"{path.name} is missing")
        return None
    try:
        frame = pd.read_csv(path, dtype={"lot_id": str, "org_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        report.violations.append(f"{path.name} cannot be read: {exc}")
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        report.violations.append(f"{path.name} lacks column(s) {', '.join(missing)}")
        return None
    return frame


def check_plan(inst: Instance, plan_dir: str | Path) -> CheckReport:
    """Recompute and verify a written plan; every finding is listed."""
    folder = Path(plan_dir)
    report = CheckReport()
    lots = _read(folder / "lots.csv", LOT_COLUMNS, report)
    members = _read(folder / "lot_members.csv", MEMBER_COLUMNS, report)
    times = _read(folder / "timeline.csv", TIMELINE_COLUMNS, report)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.violations.append("summary.json is missing")
        summary = None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        report.violations.append(f"summary.json cannot be read: {exc}")
        summary = None
    if lots is None or members is None:
        return report

    decided, problems = decisions(lots, members)
    report.violations += problems

    assessment = assess_plan(inst, [lot for _, lot in decided])
    report.violations += assessment.violations
    outcome = {o.lot: o for o in assessment.outcomes}
    lot_rows = {str(r.lot_id): r for r in lots.itertuples(index=False)}
    member_rows = {(str(r.lot_id), str(r.org_id)): r for r in members.itertuples(index=False)}
    for lid, lot in decided:
        out = outcome.get(lot)
        if out is None:
            continue
        row = lot_rows[lid]
        expected = {
            "live_period": out.live,
            "members": len(lot.members),
            "volume": out.volume,
            "unit_price": out.unit_price,
            "savings_per_period": out.savings_per_period,
            "net_savings": out.net,
        }
        for column, value in expected.items():
            if not _close(float(getattr(row, column)), float(value)):
                report.violations.append(
                    f"lot {lid}: {column} is {getattr(row, column)}, the rules give {value:.10g}"
                )
        for org in lot.members:
            mrow = member_rows[(lid, org)]
            q, b = inst.demand_of[(org, lot.category_id)]
            for column, value in (
                ("quantity", q),
                ("baseline_price", b),
                ("unit_price", out.member_price[org]),
                ("savings_per_period", out.member_saving[org]),
            ):
                if not _close(float(getattr(mrow, column)), value):
                    report.violations.append(
                        f"lot {lid}, member {org}: {column} is {getattr(mrow, column)}, "
                        f"the rules give {value:.10g}"
                    )
    report.objective = assessment.objective
    if times is not None:
        _check_timeline(inst, assessment.outcomes, times, report)
    if summary is not None:
        _check_summary(inst, assessment.outcomes, summary, report)
    return report


def _check_timeline(
    inst: Instance, outcomes: list, times: pd.DataFrame, report: CheckReport
) -> None:
    expected = timeline(inst, outcomes)
    if len(times) != len(expected):
        report.violations.append(
            f"timeline.csv has {len(times)} rows, the horizon needs {len(expected)}"
        )
        return
    for row, want in zip(times.to_dict("records"), expected, strict=True):
        for column in TIMELINE_COLUMNS:
            if not _close(float(row[column]), float(want[column])):
                report.violations.append(
                    f"timeline period {want['period']}: {column} is {row[column]}, "
                    f"the rules give {want[column]:.10g}"
                )


def _check_summary(inst: Instance, outcomes: list, summary: dict, report: CheckReport) -> None:
    objective = summary.get("objective")
    report.reported = objective
    recomputed = report.objective or 0.0
    if not isinstance(objective, (int, float)) or not _close(float(objective), recomputed):
        report.violations.append(
            f"summary objective {objective} differs from the recomputed {recomputed:.10g}"
        )
    bound = summary.get("best_bound")
    if (
        isinstance(bound, (int, float))
        and isinstance(objective, (int, float))
        and float(bound) < float(objective) - REL * max(1.0, abs(float(objective)))
    ):
        report.violations.append(f"best_bound {bound} is below the objective {objective}")
    if summary.get("status") not in ("optimal", "feasible"):
        report.violations.append(
            f"summary status {summary.get('status')!r} is not optimal/feasible"
        )
    want = target_period(inst, outcomes)
    if summary.get("target_period") != want:
        report.violations.append(
            f"summary target_period {summary.get('target_period')} differs from {want}"
        )
    if summary.get("instance_sha256") != inst.sha256:
        report.violations.append("summary instance_sha256 does not match this instance")
    if isinstance(objective, float) and math.isnan(objective):
        report.violations.append("summary objective is not a number")
