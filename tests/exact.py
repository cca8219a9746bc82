"""Solves of tiny instances by the brute-force enumerator, shaped like the engine's,
for tests of what sits on top of a solve (conflicts, explain, binding) that must not
depend on which formulations take locks and supplier rules yet."""

from __future__ import annotations

from consortia.data.instance import Instance
from consortia.rules.plan import Lot
from consortia.solvers.base import SolveContext, finish_without_plan
from consortia.solvers.bruteforce import optimum_or_none
from consortia.solvers.clock import Deadline
from consortia.solvers.conflict import with_conflict
from consortia.solvers.options import SolveOptions
from consortia.solvers.result import Result


def feasible(inst: Instance, seconds: float = 0.0) -> bool:
    """A conflict search's test decided exactly: True when some plan keeps every rule."""
    return optimum_or_none(inst) is not None


def exact_solve(
    inst: Instance,
    options: SolveOptions | None = None,
    start: list[Lot] | None = None,
    deadline: Deadline | None = None,
    *,
    conflict: bool = True,
) -> Result:
    """``analysis.runs.checked_solve`` by enumeration: the optimum, proven; without
    a feasible plan, ``infeasible`` with its conflict (tests decided exactly)."""
    ctx = SolveContext.of(inst, options)
    found = optimum_or_none(inst)
    if found is None:
        result = finish_without_plan(ctx, "bruteforce", proven=True)
        return with_conflict(ctx, result, feasible) if conflict else result
    value, plan = found
    return Result(inst, "optimal", value, value, plan, formulation="bruteforce")
