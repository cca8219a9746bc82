"""Membership: which representative's lot each organization joins, on which offer.

Variables
    z[c,r,s] = 1 if representative r leads a lot in category c on offer (s, c).
    y[c,r,o,s] = 1 if o (later than r) joins that lot.
Constraints
    sum_s z[c,r,s] <= 1                                   one offer per lot
    y[c,r,o,s] <= z[c,r,s]                                joins an open lot only
    sum_s z[c,o,s] + sum_{r,s} y[c,r,o,s] <= 1            rule 1: one lot per (o, c)
Member limits (rule 2) are stated with the lead levels in ``timing``.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex


def add_membership(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    m.z = pyo.Var(idx.offers, domain=pyo.Binary)
    m.y = pyo.Var(idx.members, domain=pyo.Binary)
    offers_of = {key: list(slot.offers) for key, slot in idx.slots.items()}
    m.one_offer = pyo.Constraint(
        [k for k, offers in offers_of.items() if len(offers) > 1],
        rule=lambda m, c, r: sum(m.z[c, r, s] for s in offers_of[c, r]) <= 1,
    )
    m.open_before_join = pyo.Constraint(
        idx.members, rule=lambda m, c, r, o, s: m.y[c, r, o, s] <= m.z[c, r, s]
    )
    pairs = sorted(set(idx.slots) | set(idx.joins))

    def one_lot(m: pyo.ConcreteModel, c: str, o: str) -> Any:
        terms = [m.z[c, o, s] for s in offers_of.get((c, o), [])]
        terms += [m.y[key] for key in idx.joins.get((c, o), [])]
        if len(terms) <= 1:
            return pyo.Constraint.Skip
        return sum(terms) <= 1

    m.one_lot = pyo.Constraint(pairs, rule=one_lot)


def is_open(m: pyo.ConcreteModel, idx: ModelIndex, c: str, r: str) -> Any:
    """1 if the slot's lot exists."""
    return sum(m.z[c, r, s] for s in idx.slots[c, r].offers)


def size(m: pyo.ConcreteModel, idx: ModelIndex, c: str, r: str) -> Any:
    """Number of members of the slot's lot (0 when closed)."""
    slot = idx.slots[c, r]
    return is_open(m, idx, c, r) + sum(
        m.y[c, r, o, s] for s, later in slot.offers.items() for o in later
    )
