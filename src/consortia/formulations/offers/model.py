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

from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

from consortia.backend.highs import SolverModel, to_highs
from consortia.data.instance import Instance
from consortia.formulations.candidates import Candidates, TierSegment
from consortia.formulations.compact.tiers import add_tiers
from consortia.formulations.offers.arrays import offer_arrays

NO_REP = ""  # lots are indexed by offer, not by a representative member


def offer_model_applies(cands: Candidates) -> bool:
    inst = cands.inst
    if inst.edges is not None or inst.binding_org_capacity:
        return False
    for cat_id, cat in inst.category.items():
        members = {o for (o, _, c) in cands.threshold if c == cat_id}
        if not members:
            continue
        if cat.member_lead != 0 or cat.max_members is not None:
            return False
        if len({inst.pair_ready[(o, cat_id)] for o in members}) > 1:
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
        ready = inst.pair_ready[(orgs[0], c)]
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
