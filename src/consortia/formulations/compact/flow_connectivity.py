"""Connectivity of a lot as a single-commodity flow (spec rule 7), exact without cuts.

For the slot (c, r) write x[r] = sum_s z[c,r,s] (the lot is open) and, for every
candidate member o of any of its offers, x[o] = sum_s y[c,r,o,s]; a lot has one
offer, so x is the 0/1 indicator of the lot's members. The representative sends
one unit to every other member along arcs (i, j) of the collaboration graph
between the slot's organizations (no arc enters r):
    f[c,r,i,j] >= 0
    sum_i f[c,r,i,o] - sum_j f[c,r,o,j] = x[o]          for every candidate o
    f[c,r,i,j] <= (n - 1) x[i],   f[c,r,i,j] <= (n - 1) x[j]
with n the slot's largest member count. Flow runs only between members, so every
member is reached from r inside the lot: the lot is connected. Conversely a
connected lot routes along a spanning tree rooted at r, each arc carrying the
size of the subtree below it (at most n - 1). No callback is needed, so this
family makes a model exact on its own (``consortia export`` uses it).
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.membership import is_open


def slot_members(idx: ModelIndex, c: str, r: str) -> list[str]:
    """Candidate non-representative members of the slot over all its offers, in
    organization order."""
    slot = idx.slots[c, r]
    union = {o for later in slot.offers.values() for o in later}
    return [o for o in idx.cands.inst.org_ids if o in union]


def flow_arcs(idx: ModelIndex) -> list[tuple[str, str, str, str]]:
    """Arc keys (c, r, i, j): collaboration edges between the slot's representative
    and its candidate members, in both directions, none entering the representative."""
    neighbours = idx.cands.inst.neighbours
    if neighbours is None:
        return []
    arcs = []
    for c, r in idx.slots:
        members = slot_members(idx, c, r)
        for i in [r, *members]:
            arcs += [(c, r, i, j) for j in members if j in neighbours[i]]
    return arcs


def add_flow_connectivity(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    if idx.cands.inst.neighbours is None:
        return
    members = {key: slot_members(idx, *key) for key in idx.slots}
    nodes = [(c, r, o) for (c, r), orgs in members.items() for o in orgs]
    if not nodes:
        return
    arcs = flow_arcs(idx)
    joins: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {}
    for c, r, o, s in idx.members:
        joins.setdefault((c, r, o), []).append((c, r, o, s))
    into: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {}
    out: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {}
    for arc in arcs:
        c, r, i, j = arc
        out.setdefault((c, r, i), []).append(arc)
        into.setdefault((c, r, j), []).append(arc)

    def x(m: pyo.ConcreteModel, c: str, r: str, o: str) -> Any:
        """1 if o is a member of the slot (c, r)'s lot."""
        if o == r:
            return is_open(m, idx, c, r)
        return sum(m.y[key] for key in joins[c, r, o])

    def spare(c: str, r: str) -> int:
        """Most members a lot of the slot has besides its representative."""
        return min(idx.slots[c, r].sizes[1], 1 + len(members[c, r])) - 1

    m.flow = pyo.Var(arcs, domain=pyo.NonNegativeReals)

    def balance(m: pyo.ConcreteModel, c: str, r: str, o: str) -> Any:
        inflow = sum(m.flow[a] for a in into.get((c, r, o), []))
        outflow = sum(m.flow[a] for a in out.get((c, r, o), []))
        return inflow - outflow == x(m, c, r, o)

    m.flow_balance = pyo.Constraint(nodes, rule=balance)
    # an arc leaving r needs no row of its own: its head's row bounds it by y <= z
    m.flow_from_member = pyo.Constraint(
        [arc for arc in arcs if arc[2] != arc[1]],
        rule=lambda m, c, r, i, j: m.flow[c, r, i, j] <= spare(c, r) * x(m, c, r, i),
    )
    m.flow_to_member = pyo.Constraint(
        arcs, rule=lambda m, c, r, i, j: m.flow[c, r, i, j] <= spare(c, r) * x(m, c, r, j)
    )
