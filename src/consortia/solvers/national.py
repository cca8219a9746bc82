"""``national``: plans and bounds for instances too large for any model.

The plan is the best of the by-hand plan (one lot per region and category), the
chunked plan (lots per region and category until none pays,
``formulations/regional.py``) and the lots grown around the slot-priced
relaxation's choices (``formulations/priced_lots.py``), each scheduled by
``greedy.schedule_lots`` and filled with left-out bodies where that costs no
formation time (``formulations/fill_lots.py``), then recombined by a MIP (or a dive
on its LP) over every proposed lot, topped up with the proposals that still fit
around its lots and filled again; the bound is the smaller of the
member bound and the slot-priced bound (``formulations/slot_bound.py``), which
charges formation time at Lagrangian prices on the central formation limit.
Nothing here needs candidate sets, so it scales to every public body of a country.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from consortia.formulations.fill_lots import fill_lots
from consortia.formulations.forced_lots import best_feasible, rules_in_force
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.pool_master import PoolMaster
from consortia.formulations.priced_lots import START_DELAYS, priced_lots
from consortia.formulations.regional import chunked_lots, member_bound, regional_lots
from consortia.formulations.slot_bound import SlotPrices, slot_prices
from consortia.rules.plan import Lot, LotOutcome, total_net
from consortia.solvers.base import SolveContext, finish
from consortia.solvers.result import Result

_DEBUG = bool(os.environ.get("CONSORTIA_DEBUG_LOTS"))  # the final plan's steps on stderr
# of the time left, for the search over formation prices
BOUND_SHARE = 0.3
BOUND_SECONDS = 180.0
# how much of its own best option a pair must keep to join another pair's lot
# (formulations/priced_lots.py); each value is one plan
ADMIT = (0.0, 0.5, 0.9)
# each admit value is one plan; so are lots grown at the seed's start only (the
# better plans on the generated UK instance and on the 5,000-body one with own
# limits). Where the MIP over the proposals will run, more plans and lots for it
# (admit, later starts tried, members valued after their share of the formation
# prices): at the seed's start only, at it or two, four and six periods later, and
# by members' value before their share (5,000 bodies: MIP 25.01 G -> 25.28 G)
OTHER_VARIANTS = (
    (0.5, (0,), True),
    (0.9, (0,), True),
    (0.0, (0, 2, 4, 6), True),
    (0.0, START_DELAYS, False),
)
# the MIP over the proposed lots: time (at most, and this share of what is left;
# skipped below the minimum), starts per lot, and the largest pool it takes (a
# generated 44,000-body instance proposes 47,000 lots: the pool and its MIP took
# 292 s there and found nothing better; at 5,000 bodies, about 10,000 lots, 35 s
# for 2% more)
# (240 s: beyond a million nonzeros the pool's LP alone takes an interior point
# 58-80 s at 5,000 bodies, and the dive gets half of the time for it; with 150 s
# one run in two kept its start)
POOL_SECONDS = 240.0
POOL_SHARE = 0.6
POOL_MIN_SECONDS = 20.0
POOL_STARTS = 4
POOL_MAX_LOTS = 30_000
POOL_MAX_COLUMNS = 250_000


class NationalStrategy:
    name = "national"
    help = "lots per region and category until none pays, with a slot-priced bound (any size)"

    def supports(self, ctx: SolveContext) -> str | None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        left = ctx.deadline.remaining()
        seconds = (
            BOUND_SECONDS if left is None else max(1.0, min(BOUND_SECONDS, BOUND_SHARE * left))
        )
        found = national_plan(ctx, seconds, POOL_SECONDS)
        return finish(ctx, "national", found.plan, found.bound)


@dataclass
class NationalPlan:
    """What ``national_plan`` finds: the best plan, the smaller of the member and the
    slot-priced bound, the slot prices, and every priced and filled lot of the plans
    it scheduled (each feasible on its own: starting columns for a lot master)."""

    plan: list[LotOutcome]
    bound: float
    prices: SlotPrices
    lots: list[LotOutcome]


def national_plan(ctx: SolveContext, bound_seconds: float, pool_seconds: float) -> NationalPlan:
    """The best plan of the module docstring, the MIP over the proposed lots given
    at most `pool_seconds`, the smaller of the member and the slot-priced bound,
    the latter searched for `bound_seconds`, the slot prices found and the lots of
    the priced and filled plans (``NationalPlan``)."""
    inst = ctx.inst
    with ctx.timings.search_stage("by_hand_plan"):
        plans = [schedule_lots(inst, regional_lots(inst))]
    with ctx.timings.search_stage("chunked_plan"):
        chunked = chunked_lots(inst)
        plans.append(schedule_lots(inst, [lot for _, lot in chunked]))
    if ctx.start:
        plans.append(list(ctx.start))
    # under join/together locks the empty plan may break a rule: keep the best
    # plan that keeps them all (none: finish reports that no plan was found)
    plan = best_feasible(inst, plans) or []
    with ctx.timings.search_stage("member_bound"):
        bound = member_bound(inst)
    with ctx.timings.search_stage("slot_bound"):
        found = slot_prices(inst, total_net(plan), bound_seconds)
    bound = min(bound, found.bound)
    proposals: list[Lot] = [lot for _, lot in chunked]
    scheduled: list[LotOutcome] = []
    with ctx.timings.search_stage("priced_plan"):
        # the seed's start only first: the best plan where time allows only some
        variants = [(0.0, (0,), True)] + [(admit, START_DELAYS, True) for admit in ADMIT]
        longest = 0.0  # seconds of the longest variant so far
        for number, (admit, delays, shared) in enumerate(variants + list(OTHER_VARIANTS)):
            # a variant that would end past the deadline is not started: at 44,000
            # bodies one takes more than a minute, and the solve overran by that much
            left = ctx.deadline.remaining()
            if ctx.deadline.expired() or (left is not None and number and left < longest):
                break
            began = time.perf_counter()
            if number >= len(variants) and _distinct(proposals) > POOL_MAX_LOTS // 2:
                break  # the MIP would not take them
            lots = [lot for _, lot in priced_lots(inst, found, admit, delays, shared)]
            priced = schedule_lots(inst, lots)
            filled = fill_lots(inst, priced)
            # the filled and exchanged lots are proposals too: with the exchanges, the
            # 5,000-body plan went from 25.84 G to 26.30 G
            proposals += lots + [out.lot for out in filled]
            scheduled += priced + filled
            plan = best_feasible(inst, [plan, priced, filled]) or plan
            longest = max(longest, time.perf_counter() - began)
    if not rules_in_force(inst):
        pooled = _pool_plan(ctx, plan, proposals, pool_seconds)
        if pooled is not plan:
            # the MIP (or dive) re-times and recombines lots: the formation time and
            # bodies it leaves go to the scheduled lots that still fit, best first,
            # and to the filling
            with ctx.timings.search_stage("topped_up_plan"):
                best_first = sorted(scheduled, key=lambda out: -out.net)
                topped = schedule_lots(inst, [out.lot for out in best_first], fixed=pooled)
                plan = best_feasible(inst, [pooled, topped, fill_lots(inst, topped)]) or pooled
                if _DEBUG:
                    print(
                        f"[national] pool {total_net(pooled):,.0f}"
                        f" topped up {total_net(topped):,.0f} final {total_net(plan):,.0f}",
                        file=sys.stderr,
                    )
    return NationalPlan(plan, bound, found, scheduled)


def _pool_plan(
    ctx: SolveContext, plan: list[LotOutcome], proposals: list[Lot], most: float
) -> list[LotOutcome]:
    """The best plan a MIP over the proposed lots finds from `plan` within its share
    of the time, at most `most` seconds (``formulations/pool_master.py``); `plan`
    when there is no time or the pool is too large."""

    def seconds() -> float:
        left = ctx.deadline.remaining()
        return most if left is None else min(most, POOL_SHARE * left)

    if seconds() < POOL_MIN_SECONDS or _distinct(proposals) > POOL_MAX_LOTS:
        return plan
    with ctx.timings.search_stage("pool_master"):
        master = PoolMaster(ctx.inst)
        master.add([o.lot for o in plan])  # the start plan's lots, at every start
        master.add(proposals, POOL_STARTS)
        if len(master.columns) > POOL_MAX_COLUMNS or seconds() < POOL_MIN_SECONDS:
            return plan
        found = master.solve_ip(plan, seconds())
    return best_feasible(ctx.inst, [plan, found]) or plan


def _distinct(proposals: list[Lot]) -> int:
    """The number of different member sets on an offer among the proposals."""
    return len({(lot.category_id, lot.supplier_id, lot.members) for lot in proposals})


NATIONAL = NationalStrategy()
