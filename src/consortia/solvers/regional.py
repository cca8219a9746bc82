"""``regional``: the by-hand plan and the member bound (``formulations/regional.py``).

Needs no candidate sets and no model, so it answers at any size: it is the plan
``auto`` returns where the other strategies would not fit, and the yardstick the
benchmarks compare every plan with.
"""

from __future__ import annotations

from consortia.formulations.greedy import schedule_lots
from consortia.formulations.regional import member_bound, regional_lots
from consortia.rules.plan import total_net
from consortia.solvers.base import SolveContext, finish
from consortia.solvers.result import Result


class RegionalStrategy:
    name = "regional"
    help = "one lot per region and category, biggest buyers first (any size; weak bound)"

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        with ctx.timings.search_stage("by_hand_plan"):
            plan = schedule_lots(ctx.inst, regional_lots(ctx.inst))
        if ctx.start and total_net(ctx.start) > total_net(plan):
            plan = list(ctx.start)
        with ctx.timings.search_stage("member_bound"):
            bound = member_bound(ctx.inst)
        return finish(ctx, "regional", plan, bound)


REGIONAL = RegionalStrategy()
