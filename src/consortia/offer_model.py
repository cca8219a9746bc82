"""Offer-indexed model: at most one lot per offer, exact when merging never hurts.

When a category has no collaboration graph, no member limit above one, a lead
time that does not grow with members (member_lead = 0) and members that are all
ready in the same period, two lots on the same offer can always be merged into
one that starts with the earlier of them: one fixed cost instead of two, a larger
volume whose average price is no higher (so every member stays individually
rational), the same capacity use, the same or earlier live period and no more
formations at any time. So some optimal plan has at most one lot per offer, and

    x[c,o,s] binary   o buys in the lot on offer s;   z[c,s] binary  the lot exists
    x <= z,  sum_s x[c,o,s] <= 1,  sum_o x >= min_members z,
    V[c,s] = sum_o d_o x[c,o,s] with the tier model of tiers.py (multiple choice),
    V[c,s] >= V*_os x[c,o,s]  (individual rationality),  V <= capacity,

is the classic single-source facility location structure (Croxton et al.'s
tier models on top). Without a formation limit every lot starts as early as its
members are ready, so the savings weight M(live) of each offer is a constant and
the objective is linear:

    max sum_{c,s} M_cs (sum_o d_o (b_o - h_os) x - cost(V)) - fixed_s z - kappa_c sum_o x.

With a formation limit the start is a choice: a[c,s,sigma] one-hot, savings
counted through g[c,s,sigma] <= S[c,s], g <= U a[c,s,sigma], and
sum over lots forming in p of a <= W.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo

from consortia.candidates import Candidates, TierSegment, build_candidates
from consortia.heuristic import greedy_plan, schedule_lots
from consortia.highs_bridge import SolverModel, run, solution_consistent, to_highs
from consortia.instance import Instance
from consortia.model.tiers import add_tiers
from consortia.offer_arrays import offer_arrays
from consortia.plan import Lot, LotOutcome, assess_plan, total_net
from consortia.result import Result, relative_gap
from consortia.solve_options import SolveOptions

NO_REP = ""  # lots are indexed by offer, not by a representative member


def offer_model_applies(cands: Candidates) -> bool:
    inst = cands.inst
    if inst.edges is not None:
        return False
    for cat_id, cat in inst.category.items():
        members = {o for (o, _, c) in cands.threshold if c == cat_id}
        if not members:
            continue
        if cat.member_lead != 0 or cat.max_members is not None:
            return False
        if len({inst.ready[o] for o in members}) > 1:
            return False
    return True


@dataclass
class OfferIndex:
    """The index sets tiers.py expects, keyed (c, NO_REP, s)."""

    offers: list[tuple[str, str, str]] = field(default_factory=list)
    tiers: list[tuple[str, str, str, int]] = field(default_factory=list)
    segment: dict[tuple[str, str, str, int], TierSegment] = field(default_factory=dict)
    tiers_of: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    members: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    # the members' rationality thresholds, in the order of `members`
    thresholds: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)
    starts: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)


def build_offer_index(cands: Candidates) -> OfferIndex:
    from dataclasses import replace

    inst = cands.inst
    horizon = inst.settings.horizon
    idx = OfferIndex()
    for (o, s, c), v in sorted(
        cands.threshold.items(), key=lambda kv: (kv[0][2], kv[0][1], inst.org_index[kv[0][0]])
    ):
        idx.members.setdefault((c, NO_REP, s), []).append(o)
        idx.thresholds.setdefault((c, NO_REP, s), []).append(v)
    for key, orgs in list(idx.members.items()):
        c, _, s = key
        off = inst.offer[(s, c)]
        cat = inst.category[c]
        reach = min(off.capacity, sum(inst.demand_of[(o, c)][0] for o in orgs))
        ready = inst.ready[orgs[0]]
        starts = [
            p
            for p in range(ready, horizon + 1)
            if max(p + cat.base_lead, off.available_from) <= horizon
        ]
        segs = [seg for seg in cands.segments.get((s, c), ()) if seg.lo <= reach]
        if not starts or not segs or len(orgs) < cat.min_members:
            del idx.members[key]
            continue
        idx.offers.append(key)
        idx.starts[key] = starts
        for seg in segs:
            idx.tiers.append((c, NO_REP, s, seg.k))
            idx.segment[(c, NO_REP, s, seg.k)] = replace(seg, hi=min(seg.hi, reach))
            idx.tiers_of.setdefault(key, []).append(seg.k)
    return idx


def build_offer_model(inst: Instance, cands: Candidates, idx: OfferIndex) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="consortia-offers")
    pairs = [(c, o, s) for (c, _, s), orgs in idx.members.items() for o in orgs]
    m.z = pyo.Var(idx.offers, domain=pyo.Binary)
    m.x = pyo.Var(pairs, domain=pyo.Binary)
    add_tiers(m, idx, "multiple_choice")  # type: ignore[arg-type]
    demand, surcharge = inst.demand_of, inst.surcharge
    m.joins_open = pyo.Constraint(pairs, rule=lambda m, c, o, s: m.x[c, o, s] <= m.z[c, NO_REP, s])
    lots_of: dict[tuple[str, str], list[str]] = {}
    for c, o, s in pairs:
        lots_of.setdefault((c, o), []).append(s)
    m.one_lot = pyo.Constraint(
        [k for k, ss in lots_of.items() if len(ss) > 1],
        rule=lambda m, c, o: sum(m.x[c, o, s] for s in lots_of[c, o]) <= 1,
    )
    m.volume = pyo.Constraint(
        idx.offers,
        rule=lambda m, c, r, s: (
            m.volume_of(c, r, s)
            == sum(demand[o, c][0] * m.x[c, o, s] for o in idx.members[c, r, s])
        ),
    )
    m.min_members = pyo.Constraint(
        [k for k in idx.offers if inst.category[k[0]].min_members > 1],
        rule=lambda m, c, r, s: (
            sum(m.x[c, o, s] for o in idx.members[c, r, s])
            >= inst.category[c].min_members * m.z[c, r, s]
        ),
    )
    first = {k: min(idx.segment[k + (t,)].lo for t in idx.tiers_of[k]) for k in idx.offers}
    m.rational = pyo.Constraint(
        [(c, o, s) for (c, o, s) in pairs if cands.threshold[o, s, c] > first[c, NO_REP, s]],
        rule=lambda m, c, o, s: (
            m.volume_of(c, NO_REP, s) >= cands.threshold[o, s, c] * m.x[c, o, s]
        ),
    )

    def savings(c: str, s: str) -> Any:
        return sum(
            demand[o, c][0] * (demand[o, c][1] - surcharge.get((o, s, c), 0.0)) * m.x[c, o, s]
            for o in idx.members[c, NO_REP, s]
        ) - m.cost_of(c, NO_REP, s)

    def live(c: str, s: str, start: int) -> int:
        return max(start + inst.category[c].base_lead, inst.offer[(s, c)].available_from)

    one_offs = sum(inst.offer[(s, c)].fixed_cost * m.z[c, r, s] for (c, r, s) in idx.offers)
    one_offs += sum(inst.category[c].coordination_cost * m.x[c, o, s] for (c, o, s) in pairs)
    limit = inst.settings.max_parallel_formations
    if limit is None:
        m.starts_at = {k: idx.starts[k][0] for k in idx.offers}
        m.objective = pyo.Objective(
            expr=sum(
                inst.live_weight(live(c, s, idx.starts[c, r, s][0])) * savings(c, s)
                for (c, r, s) in idx.offers
            )
            - one_offs,
            sense=pyo.maximize,
        )
        return m
    choices = [(c, r, s, p) for (c, r, s) in idx.offers for p in idx.starts[c, r, s]]
    m.a = pyo.Var(choices, domain=pyo.Binary)
    m.one_start = pyo.Constraint(
        idx.offers,
        rule=lambda m, c, r, s: sum(m.a[c, r, s, p] for p in idx.starts[c, r, s]) == m.z[c, r, s],
    )
    bound = {
        (c, r, s): max(
            1e-9,
            sum(
                demand[o, c][0]
                * (
                    demand[o, c][1]
                    - surcharge.get((o, s, c), 0.0)
                    - min(idx.segment[c, r, s, k].price for k in idx.tiers_of[c, r, s])
                )
                for o in idx.members[c, r, s]
            ),
        )
        for (c, r, s) in idx.offers
    }
    m.g = pyo.Var(choices, bounds=lambda m, c, r, s, p: (0, bound[c, r, s]))
    m.g_savings = pyo.Constraint(
        choices, rule=lambda m, c, r, s, p: m.g[c, r, s, p] <= savings(c, s)
    )
    m.g_start = pyo.Constraint(
        choices, rule=lambda m, c, r, s, p: m.g[c, r, s, p] <= bound[c, r, s] * m.a[c, r, s, p]
    )
    horizon = inst.settings.horizon

    def forming(m: pyo.ConcreteModel, p: int) -> Any:
        terms = [
            m.a[c, r, s, q] for (c, r, s, q) in choices if q <= p < q + inst.category[c].base_lead
        ]
        return sum(terms) <= limit if terms else pyo.Constraint.Skip

    m.parallel_formations = pyo.Constraint(range(1, horizon + 1), rule=forming)
    m.objective = pyo.Objective(
        expr=sum(inst.live_weight(live(c, s, p)) * m.g[c, r, s, p] for (c, r, s, p) in choices)
        - one_offs,
        sense=pyo.maximize,
    )
    return m


Columns = dict[str, dict[tuple, int]]  # component name -> index tuple -> column


def pyomo_offer_model(
    inst: Instance, cands: Candidates, idx: OfferIndex
) -> tuple[SolverModel, Columns]:
    """The reference path: the Pyomo model, handed over by the standard-form compiler."""
    model = build_offer_model(inst, cands, idx)
    sm = to_highs(model)
    cols: Columns = {}
    for name in ("z", "x", "t", "v", "a", "g"):
        component = getattr(model, name, None)
        if component is None:
            continue
        cols[name] = {
            key: sm.column[id(var)] for key, var in component.items() if id(var) in sm.column
        }
    return sm, cols


def array_offer_model(
    inst: Instance, cands: Candidates, idx: OfferIndex
) -> tuple[SolverModel, Columns]:
    """The fast path: the same model assembled as arrays (``offer_arrays.py``)."""
    am = offer_arrays(inst, cands, idx)
    h = am.to_highs()
    integer = int(sum(block.sum() for block in am.integer))
    sm = SolverModel(h, {}, am.num_cols, am.num_rows, int(am.matrix.nnz), integer, 0.0, am.cost)
    return sm, am.column


def _give_start(
    inst: Instance, idx: OfferIndex, cols: Columns, sm: SolverModel, plan: list[Any]
) -> None:
    """Hand HiGHS the greedy plan with its lots merged per offer (merging is
    feasible and no worse where this model applies)."""
    from consortia.spec import tier_cost

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
    laps: dict[str, float]
    messages: list[str] = field(default_factory=list)


def solve_offer_model(
    inst: Instance, options: SolveOptions, cands: Candidates | None = None
) -> Result:
    """The best plan by the offer-indexed model (where it is exact: see
    offer_model_applies), built by `options.builder`."""
    started = time.perf_counter()
    deadline = None if options.time_limit is None else started + options.time_limit
    cands = cands or build_candidates(inst)
    best = greedy_plan(cands)
    messages = [f"model built with {options.builder}"]
    laps = {"candidates": time.perf_counter() - started}
    t = time.perf_counter()
    idx = build_offer_index(cands)
    laps["candidates"] += time.perf_counter() - t
    full = _search(
        inst, cands, idx, options, best, deadline, len(cands.threshold) > ROUND_LP_MIN_PAIRS
    )
    laps.update(full.laps)
    messages += full.messages
    outcomes = full.outcomes  # never worse than `best`: the search started from it
    objective = total_net(outcomes)
    bound = full.bound
    best_bound = max(bound if math.isfinite(bound) else math.inf, objective)
    status = "optimal" if relative_gap(best_bound, objective) <= options.proven_gap else "feasible"
    sm = full.sm
    return Result(
        inst,
        status,
        objective,
        best_bound,
        sorted(outcomes, key=lambda o: (o.lot.category_id, o.lot.supplier_id)),
        formulation="offers",
        messages=messages,
        timings=laps,
        model_size={
            "variables": sm.num_cols,
            "binaries": sm.binaries,
            "constraints": sm.num_rows,
            "nonzeros": sm.nonzeros,
        },
        nodes=full.nodes,
    )


def _search(
    inst: Instance,
    cands: Candidates,
    idx: OfferIndex,
    options: SolveOptions,
    start: list[LotOutcome],
    deadline: float | None,
    round_lp: bool = False,
) -> _Search:
    """Build the model of `idx`, search from `start` (or from the LP-rounded plan
    when `round_lp` and it is better) until `deadline`, read the plan back (priced
    by the spec's rules; the start if nothing better)."""
    t = time.perf_counter()
    build = array_offer_model if options.builder == "arrays" else pyomo_offer_model
    sm, cols = build(inst, cands, idx)
    laps = {"build": time.perf_counter() - t}
    h = sm.highs
    h.setOptionValue("mip_rel_gap", max(options.gap, 0.0))
    h.setOptionValue("random_seed", int(options.seed))
    messages = []
    if round_lp:
        t = time.perf_counter()
        share = None if deadline is None else t + LP_SHARE * (deadline - t)
        rounded = lp_rounded_plan(inst, idx, sm, cols, share)
        laps["lp_rounding"] = time.perf_counter() - t
        messages.append(f"LP-rounded plan {total_net(rounded):.6g}, start {total_net(start):.6g}")
        if total_net(rounded) > total_net(start):
            start = rounded

    def limit_time() -> None:
        if deadline is not None:
            h.setOptionValue("time_limit", max(0.05, deadline - time.perf_counter()))

    limit_time()
    _give_start(inst, idx, cols, sm, start)
    t = time.perf_counter()
    run(h)
    if not solution_consistent(sm):
        h.clearSolver()
        limit_time()
        run(h)
    laps["solve"] = time.perf_counter() - t
    t = time.perf_counter()
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
    laps["readback"] = time.perf_counter() - t
    return _Search(
        outcomes, float(info.mip_dual_bound), int(max(info.mip_node_count, 0)), sm, laps, messages
    )


def lp_rounded_plan(
    inst: Instance, idx: OfferIndex, sm: SolverModel, cols: Columns, deadline: float | None
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
    if deadline is not None:
        h.setOptionValue("time_limit", max(0.05, deadline - time.perf_counter()))
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
