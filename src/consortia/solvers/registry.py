"""The solver strategies by name, and the one entry point ``solve``.

A strategy has a ``name``, a one-line ``help``, ``supports(ctx)`` (None, or the
reason it cannot take the instance) and ``solve(ctx) -> Result``. The names and
help texts are listed here without importing the strategies, so that the
command line starts fast; a strategy's module is imported when it is chosen.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from functools import partial
from typing import Protocol

from consortia.data.instance import Instance
from consortia.errors import UsageError
from consortia.rules.plan import Lot, LotOutcome, assess_plan, price_lot
from consortia.solvers.base import SolveContext, reporting
from consortia.solvers.clock import Deadline
from consortia.solvers.conflict import infeasible_by_checks, with_conflict
from consortia.solvers.options import Phase, SolveOptions
from consortia.solvers.result import Result


class Strategy(Protocol):
    name: str
    help: str

    def supports(self, ctx: SolveContext) -> str | None: ...

    def solve(self, ctx: SolveContext) -> Result: ...


# name -> (module, the strategy object's name in it, help)
STRATEGIES: dict[str, tuple[str, str, str]] = {
    "auto": (
        "consortia.solvers.auto",
        "AUTO",
        "offers where exact; lots from 300 demand pairs; lots per region and category "
        "beyond 10,000 or at national scale; else columns, finished by the compact model "
        "when it fits",
    ),
    "columns": (
        "consortia.solvers.columns",
        "COLUMNS",
        "column generation over lots, then an integer master",
    ),
    "compact": (
        "consortia.solvers.compact",
        "COMPACT",
        "one MILP of the whole problem (multiple-choice tiers)",
    ),
    "compact-delta": (
        "consortia.solvers.compact",
        "COMPACT_DELTA",
        "the compact MILP with the incremental tier model",
    ),
    "compact-convex": (
        "consortia.solvers.compact",
        "COMPACT_CONVEX",
        "the compact MILP with the convex-combination tier model",
    ),
    "offers": (
        "consortia.solvers.offers",
        "OFFERS",
        "one lot per offer (exact without graph, member limits or growing leads)",
    ),
    "lots": (
        "consortia.solvers.lots.solver",
        "LOTS",
        "column generation over lots with vectorised pricing (medium and large instances)",
    ),
    "regional": (
        "consortia.solvers.regional",
        "REGIONAL",
        "one lot per region and category, biggest buyers first (any size; weak bound)",
    ),
    "national": (
        "consortia.solvers.national",
        "NATIONAL",
        "lots per region and category until none pays, with a slot-priced bound (any size)",
    ),
    "decompose": (
        "consortia.solvers.decompose",
        "DECOMPOSE",
        "one problem per category, coupled by prices on the formation limit",
    ),
}


def names() -> tuple[str, ...]:
    return tuple(STRATEGIES)


def help_text() -> str:
    return "; ".join(f"{name}: {text}" for name, (_, _, text) in STRATEGIES.items())


def strategy(name: str) -> Strategy:
    """The strategy called `name`."""
    if name not in STRATEGIES:
        raise UsageError(f"unknown formulation '{name}' (known: {', '.join(STRATEGIES)})")
    module, attribute, _ = STRATEGIES[name]
    found: Strategy = getattr(importlib.import_module(module), attribute)
    return found


def solve(
    inst: Instance,
    options: SolveOptions | None = None,
    start: list[Lot] | None = None,
    deadline: Deadline | None = None,
    *,
    conflict: bool = True,
) -> Result:
    """The savings-maximising plan of an instance, with a proven bound.

    `start` is a plan to start from (e.g. the base plan of a what-if scenario); the
    lots of it that are feasible on this instance are kept, best first. A
    formulation that cannot take the instance is refused with its reason.
    `deadline` replaces the options' time limit counted from now (a command that
    started its clock before reading the instance passes what is left).

    Unless `conflict` is False: an instance that the checks of
    ``solvers.static_conflict`` prove infeasible is answered ``infeasible`` without
    a search; a result without a plan (spec section 13) gets its ``conflict``,
    within what is left of the time (``solvers.conflict``; without a time limit,
    at most ``CONFLICT_SECONDS``), and a conflict found proves infeasibility, so
    ``no_plan`` becomes ``infeasible``.
    """
    options = options or SolveOptions()
    chosen = strategy(options.formulation)
    ctx = SolveContext.of(inst, options, feasible_part(inst, start or []))
    if deadline is not None:
        ctx.deadline = deadline
    reason = chosen.supports(ctx)
    if reason is not None:
        raise UsageError(reason)
    decide = partial(decide_feasible, options)
    if conflict:
        proven = infeasible_by_checks(ctx, decide)
        if proven is not None:
            return proven
    with reporting(ctx):
        result = chosen.solve(ctx)
    if conflict and not result.has_plan:
        Phase(options.progress, "finding the conflict")()
        result = with_conflict(ctx, result, decide)
    return result


def decide_feasible(options: SolveOptions, inst: Instance, seconds: float) -> bool | None:
    """Whether `inst` has a feasible plan, by a solve of at most `seconds` that stops
    at its first plan: True with a plan the rules accept, False when proven
    infeasible, None when undecided. Uses the formulation of `options`, or ``auto``
    when that one cannot take the instance."""
    quick = replace(options, time_limit=seconds, gap=1.0, progress=None)
    try:
        result = solve(inst, quick, conflict=False)
    except UsageError:
        result = solve(inst, quick.with_formulation("auto"), conflict=False)
    if result.status == "infeasible":
        return False
    if result.has_plan and assess_plan(inst, [o.lot for o in result.outcomes]).feasible:
        return True
    return None


def feasible_part(inst: Instance, lots: list[Lot]) -> list[LotOutcome]:
    """The lots of a plan that stay feasible on `inst`, added best first while the
    plan as a whole stays feasible."""
    priced = []
    for lot in lots:
        outcome, problems = price_lot(inst, lot)
        if outcome is not None and not problems and outcome.net > 0:
            priced.append(outcome)
    kept: list[LotOutcome] = []
    for outcome in sorted(priced, key=lambda o: -o.net):
        if assess_plan(inst, [o.lot for o in kept] + [outcome.lot]).feasible:
            kept.append(outcome)
    return kept
