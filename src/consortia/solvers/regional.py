"""``regional``: the by-hand plan and the member bound (``formulations/regional.py``).

Needs no candidate sets and no model, so it answers at any size: it is the plan
``auto`` returns where the other strategies would not fit, and the yardstick the
benchmarks compare every plan with.

Supplier rules and locks (spec sections 11 and 12) are kept by the greedy
scheduler (``formulations/keep_rules.py``); when its plan still breaks a ``join``
or ``together`` lock (or max_share) and no starting plan keeps them, the result
has no plan (``no_plan``: a heuristic proves nothing). The member bound ignores
these rules, which only take plans away: it stays an upper bound.
"""

from __future__ import annotations

from consortia.formulations.forced_lots import best_feasible, rules_in_force
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.regional import member_bound, regional_lots
from consortia.rules.plan import LotOutcome, total_net
from consortia.solvers.base import SolveContext, finish, finish_without_plan
from consortia.solvers.result import Result


class RegionalStrategy:
    name = "regional"
    help = "one lot per region and category, biggest buyers first (any size; weak bound)"

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        with ctx.timings.search_stage("by_hand_plan"):
            by_hand = schedule_lots(ctx.inst, regional_lots(ctx.inst))
            plan: list[LotOutcome] | None = by_hand
            if ctx.start and total_net(ctx.start) > total_net(by_hand):
                plan = list(ctx.start)
            if rules_in_force(ctx.inst):  # the by-hand plan may break a lock
                plan = best_feasible(ctx.inst, [by_hand, ctx.start])
        if plan is None:
            why = "the by-hand plan breaks a lock or supplier rule it could not repair"
            return finish_without_plan(ctx, "regional", proven=False, messages=[why])
        with ctx.timings.search_stage("member_bound"):
            bound = member_bound(ctx.inst)
        return finish(ctx, "regional", plan, bound)


REGIONAL = RegionalStrategy()
