"""Solve an instance with the chosen formulation (``consortia solve``)."""

from __future__ import annotations

import time

from consortia.candidates import build_candidates
from consortia.columns.generate import solve_columns
from consortia.compact import solve_compact
from consortia.decompose import solve_decomposed
from consortia.errors import UsageError
from consortia.instance import Instance
from consortia.model.index import build_index
from consortia.offer_model import offer_model_applies, solve_offer_model
from consortia.plan import Lot, LotOutcome, assess_plan, price_lot
from consortia.result import Result
from consortia.solve_options import FORMULATIONS, SolveOptions

# The compact model finishes the job of the column generation only while it is
# small: its membership variables grow with the square of the organizations.
COMPACT_MEMBERSHIP_LIMIT = 5000

__all__ = ["SolveOptions", "solve"]


def solve(
    inst: Instance, options: SolveOptions | None = None, start: list[Lot] | None = None
) -> Result:
    """The savings-maximising plan of an instance, with a proven bound.

    `start` is a plan to start from (e.g. the base plan of a what-if scenario); the
    lots of it that are feasible on this instance are kept, best first.
    """
    begin = feasible_part(inst, start or [])
    options = options or SolveOptions()
    if options.formulation not in FORMULATIONS:
        raise UsageError(
            f"unknown formulation '{options.formulation}' (known: {', '.join(FORMULATIONS)})"
        )
    if options.formulation.startswith("compact"):
        return solve_compact(inst, options, start=begin)
    cands = build_candidates(inst)
    applies = offer_model_applies(cands)
    if options.formulation == "offers" or (options.formulation == "auto" and applies):
        if not applies:
            raise UsageError(
                "the offers formulation needs categories without a collaboration graph, "
                "member limits or member-dependent lead time, and members ready together"
            )
        return solve_offer_model(inst, options, cands)
    started = time.perf_counter()
    if options.formulation == "decompose":
        result = solve_decomposed(inst, options, start=begin)
    else:
        result = solve_columns(inst, options, start=begin)
    if options.formulation == "columns" or result.status == "optimal":
        return result
    if len(build_index(cands).members) > COMPACT_MEMBERSHIP_LIMIT:
        return result
    remaining = None
    if options.time_limit is not None:
        remaining = options.time_limit - (time.perf_counter() - started)
        if remaining < 1.0:
            return result
    finish = solve_compact(
        inst,
        options.with_time_limit(remaining).with_formulation("compact"),
        start=result.outcomes,
        known_bound=result.best_bound,
    )
    finish.formulation = f"{result.formulation}+compact"
    for key, value in result.timings.items():
        finish.timings[f"{result.formulation}_{key}"] = value
    finish.timings["solve"] = finish.timings.get("solve", 0.0) + result.timings.get("solve", 0.0)
    finish.messages = result.messages + finish.messages
    return finish


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
