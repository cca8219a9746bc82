"""Connectivity of a lot in the collaboration graph (spec rule 7).

A connected lot of two or more members gives every non-representative member a
neighbour inside the lot:
    y[c,r,o,s] <= sum_{k in N(o), k in lot candidates} y[c,r,k,s]  (+ z[c,r,s] if r in N(o))
This excludes most disconnected lots but not all (two adjacent members can form an
island); the solver adds the exact separator cuts of :func:`separator_cut` for the
islands it finds and solves again, so plans returned are always connected.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.formulations.compact.index import ModelIndex


def add_connectivity(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    neighbours = idx.cands.inst.neighbours
    if neighbours is None:
        return

    def has_neighbour(m: pyo.ConcreteModel, c: str, r: str, o: str, s: str) -> Any:
        later = idx.slots[c, r].offers[s]
        near = [m.y[c, r, k, s] for k in later if k in neighbours[o]]
        if r in neighbours[o]:
            near.append(m.z[c, r, s])
        return m.y[c, r, o, s] <= sum(near)

    m.has_neighbour = pyo.Constraint(idx.members, rule=has_neighbour)


def separator_terms(
    idx: ModelIndex, c: str, r: str, s: str, component: set[str]
) -> list[tuple[str, str, str, str]]:
    """Membership keys of the separator N(component) for the cut
    y[c,r,j,s] <= sum_{k in N(component)} y[c,r,k,s], for j in an island.

    ``component`` is the representative's component of the lot; its outside
    neighbours are not in the lot, and every path from r to j crosses one of them.
    """
    neighbours = idx.cands.inst.neighbours
    assert neighbours is not None
    later = set(idx.slots[c, r].offers[s])
    boundary = {k for o in component for k in neighbours[o]} - component
    return [(c, r, k, s) for k in sorted(boundary & later)]
