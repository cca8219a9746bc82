"""The offer model solved: MIP start, LP-rounded start, search within the time limit.

The model and why it is exact are in ``consortia.formulations.offers.model``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from consortia.backend.highs import SolverModel, run, solution_consistent
from consortia.data.instance import Instance
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.offers.model import (
    NO_REP,
    Columns,
    OfferIndex,
    array_offer_model,
    build_offer_index,
    offer_model_applies,
    pyomo_offer_model,
)
from consortia.rules.plan import Lot, LotOutcome, assess_plan, total_net
from consortia.solvers.base import Deadline, SolveContext, finish, report_mip
from consortia.solvers.options import Phase
from consortia.solvers.result import Result
from consortia.solvers.rule_support import refuse_rules


def _give_start(
    inst: Instance, idx: OfferIndex, cols: Columns, sm: SolverModel, plan: list[Any]
) -> None:
    """Hand HiGHS the greedy plan with its lots merged per offer (merging is
    feasible and no worse where this model applies)."""
    from consortia.rules.spec import tier_cost

    merged: dict[tuple[str, str, str], tuple[set[str], int]] = {}
    for out in plan:
        key = (out.lot.category_id, NO_REP, out.lot.supplier_id)
        members, start = merged.get(key, (set(), out.lot.start))
        merged[key] = (members | set(out.lot.members), min(start, out.lot.start))
    values = np.zeros(sm.num_cols)
    for key, (members, start) in merged.items():
        if key not in idx.members or not members <= set(idx.members[key]):
            return
        c, r, s = key
        volume = sum(inst.demand_of[(o, c)][0] for o in members)
        cost = tier_cost(inst.offer[(s, c)], volume)
        tier = next(
            (
                k
                for k in idx.tiers_of[key]
                if idx.segment[key + (k,)].lo - 1e-9 <= volume <= idx.segment[key + (k,)].hi + 1e-9
                and cost is not None
                and abs(
                    idx.segment[key + (k,)].alpha + idx.segment[key + (k,)].price * volume - cost
                )
                <= 1e-7 * max(1.0, cost)
            ),
            None,
        )
        if tier is None:
            return
        values[cols["z"][key]] = 1.0
        for o in members:
            values[cols["x"][(c, o, s)]] = 1.0
        values[cols["t"][key + (tier,)]] = 1.0
        values[cols["v"][key + (tier,)]] = volume
        if "a" in cols:
            if start not in idx.starts[key]:
                return
            values[cols["a"][key + (start,)]] = 1.0
            saving = sum(
                inst.demand_of[(o, c)][0]
                * (inst.demand_of[(o, c)][1] - inst.surcharge.get((o, s, c), 0.0))
                for o in members
            ) - (cost or 0.0)
            # saving <= the column's upper bound: that bound prices every unit
            # at the offer's lowest tier price
            values[cols["g"][key + (start,)]] = max(0.0, saving)
    given = np.flatnonzero(values).astype(np.int32)
    sm.highs.setSolution(len(given), given, values[given])


# Models with more memberships than this get a plan rounded from their LP
# relaxation as a start: at 100,000 binaries (OR-Library capa) the relaxation is
# nearly integral, while HiGHS's own heuristics did not improve the greedy plan
# in 10 minutes.
ROUND_LP_MIN_PAIRS = 20_000
LP_SHARE = 0.4


@dataclass
class _Search:
    """What one HiGHS search over an offer index gave."""

    outcomes: list[LotOutcome]
    bound: float
    nodes: int
    sm: SolverModel
    messages: list[str] = field(default_factory=list)


class OfferStrategy:
    """``offers``: one lot per offer, the facility-location structure."""

    name = "offers"
    help = "one lot per offer (exact without graph, member limits or growing leads)"

    def supports(self, ctx: SolveContext) -> str | None:
        refusal = refuse_rules(ctx.inst, self.name)
        if refusal is not None:
            return refusal
        if offer_model_applies(ctx.candidates):
            return None
        return (
            "the offers formulation needs categories without a collaboration graph, "
            "member limits or member-dependent lead time, members ready together, and "
            "no organization's own formation limit (spec section 10) that can bind; "
            "the compact, lots and auto formulations take them all"
        )

    def solve(self, ctx: SolveContext) -> Result:
        """The best plan by the offer-indexed model (where it is exact: see
        offer_model_applies), built by `options.builder`."""
        cands = ctx.candidates
        best = ctx.greedy
        messages = [f"model built with {ctx.options.builder}"]
        with ctx.timings.building_stage("candidates"):
            idx = build_offer_index(cands)
        full = _search(ctx, idx, best, len(cands.threshold) > ROUND_LP_MIN_PAIRS)
        sm = full.sm
        return finish(
            ctx,
            "offers",
            full.outcomes,  # never worse than `best`: the search started from it
            full.bound if math.isfinite(full.bound) else math.inf,
            messages=messages + full.messages,
            model_size={
                "variables": sm.num_cols,
                "binaries": sm.binaries,
                "constraints": sm.num_rows,
                "nonzeros": sm.nonzeros,
            },
            nodes=full.nodes,
        )


def _search(
    ctx: SolveContext, idx: OfferIndex, start: list[LotOutcome], round_lp: bool = False
) -> _Search:
    """Build the model of `idx`, search from `start` (or from the LP-rounded plan
    when `round_lp` and it is better) until the deadline, read the plan back
    (priced by the spec's rules; the start if nothing better)."""
    inst, options, deadline = ctx.inst, ctx.options, ctx.deadline
    Phase(options.progress, "offer model build")()
    with ctx.timings.building_stage("build"):
        build = array_offer_model if options.builder == "arrays" else pyomo_offer_model
        sm, cols = build(inst, ctx.candidates, idx)
    h = sm.highs
    h.setOptionValue("mip_rel_gap", max(options.gap, 0.0))
    h.setOptionValue("random_seed", int(options.seed))
    messages = []
    if round_lp:
        Phase(options.progress, "LP rounding")()
        with ctx.timings.search_stage("lp_rounding"):
            rounded = lp_rounded_plan(inst, idx, sm, cols, deadline.share(LP_SHARE))
        messages.append(f"LP-rounded plan {total_net(rounded):.6g}, start {total_net(start):.6g}")
        if total_net(rounded) > total_net(start):
            start = rounded

    def limit_time() -> None:
        deadline.apply(h)

    if options.progress is not None:
        report_mip(h, options.progress, "offer MILP")
    limit_time()
    _give_start(inst, idx, cols, sm, start)
    with ctx.timings.search_stage("solve"):
        run(h)
        if not solution_consistent(sm):
            h.clearSolver()
            limit_time()
            run(h)
    with ctx.timings.search_stage("readback"):
        info = h.getInfo()
        outcomes = start
        if info.primal_solution_status != 0:
            x = np.asarray(h.getSolution().col_value)
            lots = []
            for key in idx.offers:
                c, _, s = key
                if x[cols["z"][key]] < 0.5:
                    continue
                members = tuple(o for o in idx.members[key] if x[cols["x"][(c, o, s)]] > 0.5)
                if not members:
                    continue
                if "a" in cols:
                    begin = max(idx.starts[key], key=lambda p: x[cols["a"][(c, NO_REP, s, p)]])
                else:
                    begin = idx.starts[key][0]
                lots.append(Lot(c, s, members, begin))
            assessment = assess_plan(inst, lots)
            if assessment.feasible:
                kept = [o for o in assessment.outcomes if o.net > 0]
                if total_net(kept) > total_net(start):
                    outcomes = kept
    return _Search(
        outcomes, float(info.mip_dual_bound), int(max(info.mip_node_count, 0)), sm, messages
    )


def lp_rounded_plan(
    inst: Instance, idx: OfferIndex, sm: SolverModel, cols: Columns, deadline: Deadline
) -> list[LotOutcome]:
    """A plan rounded from the LP relaxation of the model in `sm` (left unchanged):
    organizations, most decided first, join the offer with their largest LP share
    that still has room; the lots are then scheduled by the greedy list scheduler
    (readiness, formation limit, capacity, rationality)."""
    h = sm.highs
    binaries = np.array(
        [c for name in ("z", "x", "t", "a") for c in cols.get(name, {}).values()], dtype=np.int32
    )
    kinds = highspy.HighsVarType
    h.changeColsIntegrality(len(binaries), binaries, np.full(len(binaries), kinds.kContinuous))
    deadline.apply(h)
    h.setOptionValue("solver", "ipm")  # large LPs: faster than simplex here
    try:
        run(h)
        x = np.asarray(h.getSolution().col_value)
        solved = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    finally:
        h.setOptionValue("solver", "choose")
        h.changeColsIntegrality(len(binaries), binaries, np.full(len(binaries), kinds.kInteger))
        h.clearSolver()
    if not solved or len(x) != sm.num_cols:
        return []
    share: dict[tuple[str, str], list[tuple[float, tuple[str, str, str]]]] = {}
    for key in idx.offers:
        c, _, s = key
        for o in idx.members[key]:
            value = float(x[cols["x"][(c, o, s)]])
            if value > 1e-6:
                share.setdefault((c, o), []).append((value, key))
    load: dict[tuple[str, str, str], float] = {}
    members: dict[tuple[str, str, str], list[str]] = {}
    for (c, o), offers in sorted(share.items(), key=lambda kv: -max(v for v, _ in kv[1])):
        q = inst.demand_of[(o, c)][0]
        for _, key in sorted(offers, reverse=True):
            if load.get(key, 0.0) + q <= inst.offer[(key[2], c)].capacity * (1 + 1e-12):
                load[key] = load.get(key, 0.0) + q
                members.setdefault(key, []).append(o)
                break
    lots = [
        Lot(c, s, tuple(sorted(orgs, key=inst.org_index.__getitem__)), idx.starts[(c, r, s)][0])
        for (c, r, s), orgs in members.items()
    ]
    lots.sort(key=lambda lot: -float(x[cols["z"][(lot.category_id, NO_REP, lot.supplier_id)]]))
    return schedule_lots(inst, lots)


OFFERS = OfferStrategy()
