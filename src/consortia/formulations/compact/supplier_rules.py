"""Supplier rules (spec section 11): how many suppliers a category uses, and each
offer's share of its category's awarded volume.

max_suppliers(c), for the categories where it is below the number of offers
(``forced_lots.binding_supplier_limits``):
    uses[c,s] binary                  supplier s has a lot in c
    z[c,r,s] <= uses[c,s]             for every slot offer (c, r, s)
    sum_s uses[c,s] <= max_suppliers(c)
At an integer point the smallest feasible uses[c,s] is 1 exactly when some slot's
lot is on s, so the rows hold exactly for the plans that keep the rule. The link
is written per slot (not summed over the slots of an offer): the LP relaxation
then has uses[c,s] >= the largest z of the offer.

max_share(s,c) < 1, with the lot volumes W[c,r,s] = d_r z[c,r,s] + sum_o d_o y[c,r,o,s]
(the demand form of the tier model's volume, ``pricing.py``):
    sum_r W[c,r,s] <= max_share(s,c) * sum_{r,s'} W[c,r,s']
which is rule 11's V(s,c) <= max_share V(c), linear in the membership variables.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.forced_lots import binding_supplier_limits


def add_supplier_limits(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    limits = binding_supplier_limits(idx.cands.inst)
    used: dict[str, set[str]] = {}
    for c, _, s in idx.offers:
        if c in limits:
            used.setdefault(c, set()).add(s)
    limited = sorted(c for c, sups in used.items() if len(sups) > limits[c])
    keys = [(c, s) for c in limited for s in sorted(used[c])]
    m.uses = pyo.Var(keys, domain=pyo.Binary)
    chosen = set(keys)
    m.uses_supplier = pyo.Constraint(
        [(c, r, s) for (c, r, s) in idx.offers if (c, s) in chosen],
        rule=lambda m, c, r, s: m.z[c, r, s] <= m.uses[c, s],
    )
    m.max_suppliers = pyo.Constraint(
        limited, rule=lambda m, c: sum(m.uses[c, s] for s in used[c]) <= limits[c]
    )


def add_offer_shares(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    inst = idx.cands.inst
    lots_in: dict[str, list[tuple[str, str, str]]] = {}
    for c, r, s in idx.offers:
        lots_in.setdefault(c, []).append((c, r, s))
    shared = sorted(
        {(s, c) for c, _, s in idx.offers if inst.offer[s, c].max_share < 1},
    )

    def within_share(m: pyo.ConcreteModel, s: str, c: str) -> Any:
        share = inst.offer[s, c].max_share
        mine = sum(lot_volume(m, idx, *lot) for lot in lots_in[c] if lot[2] == s)
        others = sum(lot_volume(m, idx, *lot) for lot in lots_in[c] if lot[2] != s)
        # V(s) <= share (V(s) + V(others)), rearranged
        return (1 - share) * mine - share * others <= 0

    m.max_share = pyo.Constraint(shared, rule=within_share)


def lot_volume(m: pyo.ConcreteModel, idx: ModelIndex, c: str, r: str, s: str) -> Any:
    """W[c,r,s]: the volume of the slot's lot on offer s, from its memberships."""
    demand = idx.cands.inst.demand_of
    later = idx.slots[c, r].offers[s]
    return demand[r, c][0] * m.z[c, r, s] + sum(demand[o, c][0] * m.y[c, r, o, s] for o in later)
