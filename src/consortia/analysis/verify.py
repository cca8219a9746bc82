"""Checking an ``optimal`` claim independently (``consortia solve --verify``).

A plan is re-priced by the rules and re-checked from its files anyway; what
only an independent solve can catch is a false *bound* — the engine (or HiGHS
under it, see HiGHS 1.16 on Delmaire p55) claiming that nothing better exists.
Two witnesses, each given its own time:

- **SCIP** (``pyscipopt``, optional) on the exported model, which states the
  whole problem (flow connectivity, no callbacks), when the model is small;
- **another formulation** of this engine: the compact MILP for a plan found by
  columns, offers or decomposition, column generation for a compact plan.

A witness *disagrees* when it finds a plan worth more than the engine's bound,
or proves a bound below the engine's plan (beyond 1e-6 relative). Either is
reported as a warning with both figures, never silently.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from consortia.errors import ModelTooLarge
from consortia.formulations.compact.size import estimate_compact
from consortia.formulations.export import export_model
from consortia.solvers.base import SolveContext
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from consortia.solvers.result import Result

TOLERANCE = 1e-6
SCIP_MAX_NONZEROS = 200_000  # larger exported models are not handed to SCIP


@dataclass(frozen=True)
class Verdict:
    """What one witness says about a result."""

    witness: str
    status: str  # agrees, disagrees, undecided, skipped
    plan: float | None = None  # the witness's best plan value
    bound: float | None = None  # the witness's proven bound
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def compare(witness: str, result: Result, plan: float | None, bound: float | None) -> Verdict:
    """The verdict of a witness's plan value and proven bound on `result`."""
    scale = max(1.0, abs(result.objective), abs(result.best_bound))
    slack = TOLERANCE * scale
    if plan is not None and plan > result.best_bound + slack:
        note = f"finds a plan worth {plan:,.2f}, above the engine's bound {result.best_bound:,.2f}"
        return Verdict(witness, "disagrees", plan, bound, note)
    if bound is not None and bound < result.objective - slack:
        note = f"proves a bound {bound:,.2f}, below the engine's plan {result.objective:,.2f}"
        return Verdict(witness, "disagrees", plan, bound, note)
    if plan is not None and bound is not None and bound - plan <= slack + TOLERANCE * scale:
        return Verdict(witness, "agrees", plan, bound)
    return Verdict(witness, "undecided", plan, bound, "the witness did not close its own gap")


def verify(result: Result, time_limit: float = 60.0) -> list[Verdict]:
    """The verdicts of every witness that can check `result` within `time_limit` each.
    Only an ``optimal`` claim is checked: other statuses claim no optimum."""
    if result.status != "optimal":
        return [Verdict("none", "skipped", note=f"status {result.status}: nothing claimed")]
    return [_by_scip(result, time_limit), _by_other_formulation(result, time_limit)]


def _by_other_formulation(result: Result, time_limit: float) -> Verdict:
    other = "columns" if result.formulation.startswith("compact") else "compact"
    witness = f"formulation {other}"
    options = SolveOptions(time_limit=time_limit, gap=1e-9, formulation=other)
    try:
        again = solve(result.instance, options)
    except ModelTooLarge as exc:
        return Verdict(witness, "skipped", note=str(exc))
    bound = again.best_bound if math.isfinite(again.best_bound) else None
    return compare(witness, result, again.objective, bound)


def _by_scip(result: Result, time_limit: float) -> Verdict:
    try:
        import pyscipopt
    except ImportError:
        return Verdict("SCIP", "skipped", note="pyscipopt is not installed (pip install pyscipopt)")
    size = estimate_compact(SolveContext.of(result.instance).index)
    if size.nonzeros > SCIP_MAX_NONZEROS:
        note = f"the exported model (~{size.nonzeros:,} nonzeros) is too large to hand over"
        return Verdict("SCIP", "skipped", note=note)
    with tempfile.TemporaryDirectory() as folder:
        path = export_model(result.instance, Path(folder) / "model.lp", "lp")
        model = pyscipopt.Model()
        model.hideOutput()
        model.readProblem(str(path))
        model.setParam("limits/time", time_limit)
        model.optimize()
        witness = f"SCIP {model.version()}"
        plan = model.getObjVal() if model.getNSols() > 0 else None
        bound = model.getDualbound()
    return compare(witness, result, plan, bound if math.isfinite(bound) else None)
