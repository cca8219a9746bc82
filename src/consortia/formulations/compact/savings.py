"""Savings and the objective (spec section 5).

Per-period savings of a slot's lot, linear in the decisions:
    S[c,r] = sum_s ( d_r (b_r - h_rs) z[c,r,s] + sum_o d_o (b_o - h_os) y[c,r,o,s]
                     - cost[c,r,s] )
Variables g[c,r,p] in [0, U_r], the savings counted in period p:
    g <= S[c,r],   g <= U_r live[c,r,p],   S[c,r] >= 0
U_r bounds the lot's per-period savings from the data. A lot with S < 0 is never
in an optimal plan (dropping it gains at least its one-off costs), so S >= 0 cuts
off no optimum.

Lots that lose money. With rule 9 switched off a lot can have S < 0, and where a
lock or max_share can force a lot (``forced_lots.losses_possible``) such a lot may
be needed. For those slots S >= 0 is dropped and, with L_r >= -S a loss bound
from the data, g[c,r,p] in [-L_r, U_r] with
    g <= S + L_r (1 - live),   g <= U_r live      (instead of g <= S)
so g = S while the lot is live and g = 0 before; ``timing.add_exact_live`` gives
live and ended their lower bounds there, so that neither can be set below the
truth to hide a loss.
Objective: max sum_p delta(p) g[c,r,p] - sum_s fixed(s,c) z[c,r,s] - coord(c) size.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.membership import size
from consortia.formulations.compact.pricing import lot_cost
from consortia.formulations.compact.timing import add_exact_live
from consortia.formulations.forced_lots import losses_possible


def add_savings(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    inst = idx.cands.inst
    demand = inst.demand_of
    surcharge = inst.surcharge

    def gain(o: str, s: str, c: str) -> float:
        q, b = demand[o, c]
        return q * (b - surcharge.get((o, s, c), 0.0))

    bound = {key: savings_bound(idx, *key) for key in idx.slots}

    def per_period(m: pyo.ConcreteModel, c: str, r: str) -> Any:
        slot = idx.slots[c, r]
        return sum(
            gain(r, s, c) * m.z[c, r, s]
            + sum(gain(o, s, c) * m.y[c, r, o, s] for o in later)
            - lot_cost(m, idx, c, r, s)
            for s, later in slot.offers.items()
        )

    m.savings = pyo.Expression(list(idx.slots), rule=per_period)
    losing = {key: loss_bound(idx, *key) for key in idx.slots if losses_possible(inst, key[0])}
    m.no_loss = pyo.Constraint(
        [key for key in idx.slots if key not in losing],
        rule=lambda m, c, r: m.savings[c, r] >= 0,
    )
    m.g = pyo.Var(
        idx.periods,
        bounds=lambda m, c, r, p: (-losing[c, r] if (c, r) in losing else 0, bound[c, r]),
    )
    m.g_savings = pyo.Constraint(
        [(c, r, p) for (c, r, p) in idx.periods if (c, r) not in losing],
        rule=lambda m, c, r, p: m.g[c, r, p] <= m.savings[c, r],
    )
    m.g_live = pyo.Constraint(
        idx.periods, rule=lambda m, c, r, p: m.g[c, r, p] <= bound[c, r] * m.live[c, r, p]
    )
    m.g_before_live = pyo.Constraint(
        [(c, r, p) for (c, r, p) in idx.periods if (c, r) in losing],
        rule=lambda m, c, r, p: (
            m.g[c, r, p] <= m.savings[c, r] + losing[c, r] * (1 - m.live[c, r, p])
        ),
    )
    add_exact_live(m, idx, set(losing))
    m.net_savings = pyo.Objective(
        expr=sum(inst.delta(p) * m.g[c, r, p] for (c, r, p) in idx.periods)
        - sum(inst.offer[s, c].fixed_cost * m.z[c, r, s] for (c, r, s) in idx.offers)
        - sum(
            inst.category[c].coordination_cost * size(m, idx, c, r)
            for (c, r) in idx.slots
            if inst.category[c].coordination_cost > 0
        ),
        sense=pyo.maximize,
    )


def savings_bound(idx: ModelIndex, c: str, r: str) -> float:
    """U_r: the most a slot's lot can save per period, member by member at the best
    price of any of its offers."""
    inst = idx.cands.inst
    slot = idx.slots[c, r]
    best: dict[str, float] = {}
    for s, later in slot.offers.items():
        lowest = min(seg.price for seg in idx.cands.segments[(s, c)])
        for o in (r, *later):
            q, b = inst.demand_of[o, c]
            gain = q * (b - inst.surcharge.get((o, s, c), 0.0) - lowest)
            best[o] = max(best.get(o, 0.0), gain)
    return max(0.0, sum(best.values()))


def loss_bound(idx: ModelIndex, c: str, r: str) -> float:
    """L_r: the most a slot's lot can lose per period. cost(V) <= pi_1 V for both
    schedules (pi_1, the first tier's price, is the highest), so
    -S <= sum_o d_o max(0, pi_1 + h_os - b_o) on offer s."""
    inst = idx.cands.inst
    worst = 0.0
    for s, later in idx.slots[c, r].offers.items():
        top = inst.offer[s, c].tiers[0][1]
        loss = 0.0
        for o in (r, *later):
            q, b = inst.demand_of[o, c]
            loss += q * max(0.0, top + inst.surcharge.get((o, s, c), 0.0) - b)
        worst = max(worst, loss)
    return worst
