"""``national``: plans and bounds for instances too large for any model.

The plan is the best of the by-hand plan (one lot per region and category), the
chunked plan (lots per region and category until none pays,
``formulations/regional.py``) and the lots grown around the slot-priced
relaxation's choices (``formulations/priced_lots.py``), each scheduled by
``greedy.schedule_lots`` and filled with left-out bodies where that costs no
formation time (``formulations/fill_lots.py``); the bound is the smaller of the
member bound and the slot-priced bound (``formulations/slot_bound.py``), which
charges formation time at Lagrangian prices on the central formation limit.
Nothing here needs candidate sets, so it scales to every public body of a country.
"""

from __future__ import annotations

from consortia.formulations.fill_lots import fill_lots
from consortia.formulations.forced_lots import best_feasible
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.priced_lots import priced_lots
from consortia.formulations.regional import chunked_lots, member_bound, regional_lots
from consortia.formulations.slot_bound import slot_prices
from consortia.rules.plan import total_net
from consortia.solvers.base import SolveContext, finish
from consortia.solvers.result import Result

# of the time left, for the search over formation prices
BOUND_SHARE = 0.3
BOUND_SECONDS = 120.0
# how much of its own best option a pair must keep to join another pair's lot
# (formulations/priced_lots.py); each value is one plan
ADMIT = (0.0, 0.5, 0.9)


class NationalStrategy:
    name = "national"
    help = "lots per region and category until none pays, with a slot-priced bound (any size)"

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        inst = ctx.inst
        with ctx.timings.search_stage("by_hand_plan"):
            plans = [schedule_lots(inst, regional_lots(inst))]
        with ctx.timings.search_stage("chunked_plan"):
            plans.append(schedule_lots(inst, [lot for _, lot in chunked_lots(inst)]))
        if ctx.start:
            plans.append(list(ctx.start))
        # under join/together locks the empty plan may break a rule: keep the best
        # plan that keeps them all (none: finish reports that no plan was found)
        plan = best_feasible(inst, plans) or []
        left = ctx.deadline.remaining()
        seconds = (
            BOUND_SECONDS if left is None else max(1.0, min(BOUND_SECONDS, BOUND_SHARE * left))
        )
        with ctx.timings.search_stage("member_bound"):
            bound = member_bound(inst)
        with ctx.timings.search_stage("slot_bound"):
            found = slot_prices(inst, total_net(plan), seconds)
        bound = min(bound, found.bound)
        with ctx.timings.search_stage("priced_plan"):
            for admit in ADMIT:
                if ctx.deadline.expired():
                    break
                lots = [lot for _, lot in priced_lots(inst, found, admit)]
                priced = schedule_lots(inst, lots)
                plan = best_feasible(inst, [plan, priced, fill_lots(inst, priced)]) or plan
        return finish(ctx, "national", plan, bound)


NATIONAL = NationalStrategy()
