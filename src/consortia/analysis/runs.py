"""One way a solve becomes a recorded run: solve -> check -> write -> ledger.

``consortia solve``, ``whatif`` and ``bench`` all go through here, so a plan is
never written unchecked and every run is recorded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consortia.analysis.ledger import Ledger, RunRecord
from consortia.backend.highs import abort_requested
from consortia.data.instance import Instance
from consortia.outputs.checker import check_plan
from consortia.outputs.writer import write_result
from consortia.rules.coverage import Coverage
from consortia.rules.plan import Lot, assess_plan
from consortia.solvers.clock import Deadline
from consortia.solvers.options import Phase, Progress, SolveOptions
from consortia.solvers.registry import solve
from consortia.solvers.result import Result


@dataclass(frozen=True)
class RunSpec:
    """What the ledger records of how a run was asked for."""

    command: str
    instance: str
    options: dict[str, Any] = field(default_factory=dict)
    scenario: str | None = None


def checked_solve(
    inst: Instance,
    options: SolveOptions,
    start: list[Lot] | None = None,
    deadline: Deadline | None = None,
    *,
    conflict: bool = True,
) -> Result:
    """Solve, then re-assess the plan by the rules; a plan that breaks them is an
    internal error, never an answer. A result without a plan (``infeasible``,
    ``no_plan``) has nothing to check; it carries its conflict unless `conflict`
    is False (``registry.solve``)."""
    result = solve(inst, options, start, deadline, conflict=conflict)
    if not result.has_plan:
        return result
    Phase(options.progress, "checking the plan")()
    assessment = assess_plan(inst, [o.lot for o in result.outcomes])
    if not assessment.feasible:
        raise RuntimeError("the plan breaks the rules: " + "; ".join(assessment.violations))
    return result


# Of the time left after reading, what checking and writing the plan may take: a
# share, and at least this much per demand pair (the reasons of the left-out pairs,
# the checker and the files took 38 s after a 44,000-body solve of 236,080 pairs)
AFTER_SOLVE_SHARE = 0.05
AFTER_SOLVE_PER_PAIR = 2e-4


def solve_deadline(clock: Deadline, pairs: int = 0) -> Deadline:
    """The solve's share of a command's clock for an instance of `pairs` demand
    pairs: all but what checking and writing the plan are kept (``--time-limit``
    bounds the whole command)."""
    left = clock.remaining()
    if left is None:
        return Deadline(None)
    keep = max(AFTER_SOLVE_SHARE * left, AFTER_SOLVE_PER_PAIR * pairs)
    return Deadline(max(0.5 * left, left - keep))


def verifier(inst: Instance) -> Callable[[Path], None]:
    """A check of a written plan folder by the independent checker, for write_result."""

    def verify(folder: Path) -> None:
        report = check_plan(inst, folder)
        if not report.ok:
            raise RuntimeError("the plan failed its own check: " + "; ".join(report.violations))

    return verify


def write_checked(
    result: Result,
    out_dir: str | Path,
    workbook: bool = False,
    command: str = "solve",
    covered: Coverage | None = None,
    extra: Mapping[str, object] | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Path:
    """Write a result atomically, after the checker has accepted the written files
    (`covered` and `extra` as for ``write_result``); `progress` hears that the
    phase has begun. Nothing is written once a second signal asked to abort. A
    result without a plan is written as its summary.json alone: there is no plan
    to check (``write_result``)."""
    if abort_requested():
        raise KeyboardInterrupt
    Phase(progress, "writing and checking the files")()
    return write_result(
        result,
        out_dir,
        verify=verifier(result.instance) if result.has_plan else None,
        workbook=workbook,
        command=command,
        covered=covered,
        extra=extra,
    )


def record(
    ledger: Ledger | None, spec: RunSpec, result: Result, output: str | Path | None = None
) -> int | None:
    """Record a run in the ledger (None: not recorded); returns its id."""
    if ledger is None:
        return None
    return ledger.record(
        RunRecord(
            command=spec.command,
            instance=spec.instance,
            instance_sha256=result.instance.sha256,
            status=result.status,
            objective=result.objective,
            best_bound=result.best_bound,
            gap=result.gap,
            formulation=result.formulation,
            scenario=spec.scenario,
            options=spec.options,
            timings=result.timings.as_dict(),
            output=None if output is None else str(output),
        )
    )
