"""``auto``: the default, an ordered list of strategies.

1. at national scale (candidate sets would not fit): ``national``;
2. ``offers`` where it is exact (it says so through ``supports``);
3. from ``LOTS_MIN_PAIRS`` demand pairs on: ``lots`` (vectorised pricing: on
   ``instances/medium`` its bounds are half the column generation's and its plans
   a fifth better, ``models/lots.md``; the compact model never fits there), when
   it takes the instance (it says so through ``supports``);
4. otherwise ``columns``, then, if a gap remains, the compact model fits and time
   is left, the compact model started from the plan and bound found so far.

``columns``, the compact model and the by-hand plan take readiness per demand
pair and organizations' own formation limits (spec sections 9 and 10), so every
route ``auto`` can take supports them.

Supplier rules and locks (spec sections 11 and 12): ``offers`` and ``lots`` refuse
them, so such instances go to ``columns``, finished by the compact model (which
also decides instances that column generation leaves without a plan: it proves
infeasibility, section 13, where the column generation could not); beyond
``LOTS_MAX_PAIRS`` demand pairs or at national scale the ``national`` plan keeps
them as far as the greedy schedule's repair can, without any proof (a ``no_plan`` result there says
nothing about feasibility). The result's messages say which limit applied.
"""

from __future__ import annotations

import math

from consortia.data.instance import Instance
from consortia.errors import ModelTooLarge
from consortia.formulations.forced_lots import rules_in_force
from consortia.solvers.base import LIMIT_NOTE, SolveContext, restate
from consortia.solvers.columns import ColumnStrategy
from consortia.solvers.compact import solve_compact
from consortia.solvers.lots.solver import LOTS
from consortia.solvers.national import NATIONAL
from consortia.solvers.offers import OfferStrategy
from consortia.solvers.result import Result

# Beyond this many organization-offer pairs the candidate sets (a Python object
# per pair) cost minutes and gigabytes: auto answers with the national strategy.
LARGE_PAIRS = 3_000_000


def pair_estimate(inst: Instance) -> int:
    """Demand pairs times the offers of their category: what candidate sets hold."""
    rows = inst.demand["category_id"].value_counts()
    return int(sum(int(k) * len(inst.offers_in.get(str(c), [])) for c, k in rows.items()))


# From this many demand pairs on, the lot generation with vectorised pricing
# gives better plans and bounds than the column generation (medium has ~430).
LOTS_MIN_PAIRS = 300
# Beyond this many, its rounds (master LP, repair, integer master) cost more than
# they bring within minutes (5,000 organizations: 98% gap, 12 G against the by-hand
# plan's 14 G, benchmarks/results/lots-notes.md).
LOTS_MAX_PAIRS = 10_000

# The compact model finishes the job of another strategy only while it is small:
# its membership variables grow with the square of the organizations.
COMPACT_MEMBERSHIP_LIMIT = 5000


class AutoStrategy:
    name = "auto"
    help = (
        "offers where exact; lots from 300 demand pairs; lots per region and category "
        "beyond 10,000 or at national scale; else columns, finished by the compact model "
        "when it fits"
    )

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        pairs = pair_estimate(ctx.inst)
        if pairs > LARGE_PAIRS:
            return _by_hand(
                ctx,
                f"national scale ({pairs:,} organization-offer pairs): lots per region "
                "and category and the slot-priced bound; the candidate sets of the other "
                "strategies would not fit",
            )
        offers = OfferStrategy()
        if offers.supports(ctx) is None:
            return offers.solve(ctx)
        if len(ctx.inst.demand) > LOTS_MAX_PAIRS:
            return _by_hand(
                ctx,
                f"{len(ctx.inst.demand):,} demand pairs: lots per region and category and the "
                f"slot-priced bound; lot generation does not yet improve on them beyond "
                f"{LOTS_MAX_PAIRS:,}",
            )
        if len(ctx.inst.demand) >= LOTS_MIN_PAIRS:
            if LOTS.supports(ctx) is None:
                return LOTS.solve(ctx)
            result = finish_with_compact(ctx, ColumnStrategy().solve(ctx))
            if not rules_in_force(ctx.inst):
                return result
            return _noted(
                ctx,
                result,
                f"{LIMIT_NOTE}{_rules(ctx)}: lot generation does not take them, so column "
                "generation solved this instance (weaker bounds at this size), finished by "
                "the compact model only where it fits",
            )
        return finish_with_compact(ctx, ColumnStrategy().solve(ctx))


def _rules(ctx: SolveContext) -> str:
    """The supplier rules and locks the instance sets, e.g. "locks (spec section
    12) and offers.max_share (spec section 11)"."""
    found = rules_in_force(ctx.inst)
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]


def _noted(ctx: SolveContext, result: Result, *notes: str) -> Result:
    """`result` with `notes` among its messages; a result with a plan also gets its
    stop reason decided again (one without a plan keeps its own)."""
    if result.has_plan:
        return restate(ctx, result, *notes)
    result.messages.extend(notes)
    return result


def _by_hand(ctx: SolveContext, why: str) -> Result:
    result = NATIONAL.solve(ctx)
    result.formulation = "auto(national)"
    notes = [f"{LIMIT_NOTE}{why}"]
    if rules_in_force(ctx.inst):
        notes.append(
            f"{LIMIT_NOTE}{_rules(ctx)}: at this size only the repair of the greedy schedule "
            "keeps them, and nothing proves whether a plan exists when it finds none"
        )
    return _noted(ctx, result, *notes)


def finish_with_compact(ctx: SolveContext, result: Result) -> Result:
    """`result`, or the compact model's result started from its plan and bound
    when a gap remains (or `result` has no plan and no proof that none exists),
    the model is small and at least a second is left."""
    if result.status in ("optimal", "infeasible"):
        return result
    if ctx.deadline.expired(1.0) or len(ctx.index.members) > COMPACT_MEMBERSHIP_LIMIT:
        return _noted(ctx, result)  # the time may have run out since it finished
    try:
        done = solve_compact(
            ctx,
            start=result.outcomes if result.has_plan else None,
            known_bound=result.best_bound if result.has_plan else math.inf,
            formulation=f"{result.formulation}+compact",
        )
    except ModelTooLarge as exc:
        return _noted(ctx, result, f"{LIMIT_NOTE}compact finish skipped: {exc}")
    done.messages = result.messages + done.messages
    return _noted(ctx, done)


AUTO = AutoStrategy()
