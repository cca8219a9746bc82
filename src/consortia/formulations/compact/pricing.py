"""Tier pricing, capacity and individual rationality (spec rules 5, 6, 9; section 3).

The tier model itself is one of the three exact formulations of ``tiers.py``
(multiple choice by default); it defines the lot's volume V and cost(V).

Constraints
    V[c,r,s] = d_r z[c,r,s] + sum_o d_o y[c,r,o,s]                     volume
    V[c,r,s] >= V*_os y[c,r,o,s]        rule 9, V*_os = rationality threshold
    sum_r V[c,r,s] <= capacity(s,c)                                    rule 6
Rule 9 is a volume threshold because the average price never rises with volume.
For all-units tiers the cost-minimising tier is picked at a tier boundary.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.tiers import add_tiers


def add_tier_pricing(m: pyo.ConcreteModel, idx: ModelIndex, form: str = "multiple_choice") -> None:
    inst = idx.cands.inst
    seg = idx.segment
    tiers_of = idx.tiers_of
    add_tiers(m, idx, form)
    qty = inst.demand_of
    m.volume_balance = pyo.Constraint(
        idx.offers,
        rule=lambda m, c, r, s: (
            volume(m, idx, c, r, s)
            == qty[r, c][0] * m.z[c, r, s]
            + sum(qty[o, c][0] * m.y[c, r, o, s] for o in idx.slots[c, r].offers[s])
        ),
    )
    first = {key: min(seg[key + (k,)].lo for k in tiers_of[key]) for key in idx.offers}
    threshold = idx.cands.threshold
    m.rational_rep = pyo.Constraint(
        [(c, r, s) for (c, r, s) in idx.offers if threshold[r, s, c] > first[c, r, s]],
        rule=lambda m, c, r, s: volume(m, idx, c, r, s) >= threshold[r, s, c] * m.z[c, r, s],
    )
    m.rational_member = pyo.Constraint(
        [(c, r, o, s) for (c, r, o, s) in idx.members if threshold[o, s, c] > first[c, r, s]],
        rule=lambda m, c, r, o, s: volume(m, idx, c, r, s) >= threshold[o, s, c] * m.y[c, r, o, s],
    )
    lots_on: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for c, r, s in idx.offers:
        lots_on.setdefault((s, c), []).append((c, r, s))
    binding = [
        key
        for key, lots in lots_on.items()
        if inst.offer[key].capacity
        < sum(idx.slots[lot[:2]].max_volume[lot[2]] for lot in lots) * (1 - 1e-12)
    ]
    m.capacity = pyo.Constraint(
        binding,
        rule=lambda m, s, c: (
            sum(volume(m, idx, *lot) for lot in lots_on[s, c]) <= inst.offer[s, c].capacity
        ),
    )


def volume(m: pyo.ConcreteModel, idx: ModelIndex, c: str, r: str, s: str) -> Any:
    """Volume of the slot's lot on offer s (0 when it is not on s)."""
    return m.volume_of(c, r, s)


def lot_cost(m: pyo.ConcreteModel, idx: ModelIndex, c: str, r: str, s: str) -> Any:
    """cost(V) of the slot's lot on offer s (0 when it is not on s)."""
    return m.cost_of(c, r, s)
