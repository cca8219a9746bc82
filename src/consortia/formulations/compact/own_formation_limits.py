"""Each organization's own formation limit (spec section 10, rule 8b).

For every organization o whose limit k(o) can bind (``Instance.binding_org_capacity``)
and every period p:

    I(o,p) = sum_{slots (c,r) o can be in} member(o,c,r) * forming(c,r,p) <= k(o)

with forming(c,r,p) = A(p) - ended(p) (``timing.slot_forming``) and member(o,c,r) =
open(c,r) when o is the representative r, else x[c,r,o] = sum_s y[c,r,o,s].

Linearisation of the product of two 0/1 quantities
    w[o,c,r,p] >= forming(c,r,p) + x[c,r,o] - open(c,r),   w >= 0,
    I(o,p) = sum_{(c,r)} w[o,c,r,p]   (the representative's slots enter as forming).
w has only these lower bounds, so I(o,p) <= k(o) says exactly that the sum of
max(0, forming + x - open) is at most k(o). At every integer point that maximum is
the product x * forming: x = 1 implies open = 1; x = 0 leaves forming - open <= 0,
because forming <= open. For the representative, member = open and the product is
forming itself, so its slots enter I without a w. ``ended`` only has upper bounds:
a smaller value overstates formations, a restriction and never a relaxation. The
bound forming + x - open is at least the textbook forming + x - 1 (open <= 1), so
the LP relaxation is no weaker.

A row is written only for the periods in which slots of more than k(o) categories
can be forming (o is in at most one lot per category, so otherwise it cannot bind).
The same I(o,p), with its w pushed down by a price rho_op >= 0 in the objective,
is the term the category decomposition prices (``solvers/compact.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.membership import is_open
from consortia.formulations.compact.timing import forming_periods, slot_forming

# (organization, period) -> the slots (c, r) the organization can be in, forming in p
Exposure = dict[tuple[str, int], list[tuple[str, str]]]


def add_own_formation_limits(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    limits = idx.cands.inst.binding_org_capacity
    involvement = add_involvement(m, idx, own_limit_rows(idx), "own_forming")
    m.own_formation_limit = pyo.Constraint(
        sorted(involvement), rule=lambda m, o, p: involvement[o, p] <= limits[o]
    )


def own_limit_rows(idx: ModelIndex) -> Exposure:
    """The (organization, period) rows that can bind, with the slots each one sums."""
    limits = idx.cands.inst.binding_org_capacity
    return {
        key: slots
        for key, slots in exposure(idx, limits).items()
        if len({c for c, _ in slots}) > limits[key[0]]
    }


def exposure(idx: ModelIndex, orgs: Collection[str]) -> Exposure:
    """For the organizations `orgs` and each period: the slots they can be in that
    can be forming then."""
    slots_of: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
    for c, r in idx.slots:
        if r in orgs:
            slots_of[r].add((c, r))
    for (c, o), keys in idx.joins.items():
        if o in orgs:
            slots_of[o].update((c, r) for (_, r, _, _) in keys)
    found: defaultdict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    for o, slots in slots_of.items():
        for c, r in sorted(slots):
            for p in forming_periods(idx, c, r):
                found[o, p].append((c, r))
    return dict(found)


def add_involvement(
    m: pyo.ConcreteModel, idx: ModelIndex, rows: Exposure, name: str
) -> dict[tuple[str, int], Any]:
    """I(o,p) for each row of `rows`: the w variables (component `name`, indexed
    (o, c, r, p)) and their product rows (`name`_product); see the module docstring."""
    products = sorted((o, c, r, p) for (o, p), slots in rows.items() for c, r in slots if r != o)
    w = pyo.Var(products, domain=pyo.NonNegativeReals)
    m.add_component(name, w)
    m.add_component(
        f"{name}_product",
        pyo.Constraint(
            products,
            rule=lambda m, o, c, r, p: (
                w[o, c, r, p]
                >= slot_forming(m, idx, c, r, p) + joins(m, idx, c, r, o) - is_open(m, idx, c, r)
            ),
        ),
    )
    if not hasattr(m, "involvement_vars"):
        m.involvement_vars = []  # read by encode_involvement for a MIP start
    m.involvement_vars.append(w)
    return {
        (o, p): sum(slot_forming(m, idx, c, r, p) if r == o else w[o, c, r, p] for c, r in slots)
        for (o, p), slots in rows.items()
    }


def joins(m: pyo.ConcreteModel, idx: ModelIndex, c: str, r: str, o: str) -> Any:
    """x[c,r,o]: 1 if o (not the representative) is a member of the slot's lot."""
    return sum(m.y[c, r, o, s] for s, later in idx.slots[c, r].offers.items() if o in later)


def encode_involvement(m: pyo.ConcreteModel, values: Any, lots: dict[tuple[str, str], Any]) -> None:
    """The w of a plan: 1 where a member of a lot is in formation in that period.
    `lots` maps a slot (c, r) to the plan's outcome led by r."""
    for w in getattr(m, "involvement_vars", []):
        for o, c, r, p in w:
            out = lots.get((c, r))
            if out is not None and o in out.lot.members and p in out.forming:
                values[w[o, c, r, p]] = 1.0
