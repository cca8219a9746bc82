"""Locks (spec section 12) as rows on the membership variables.

Write mem[c,r,o,s] for o's membership of slot (c, r)'s lot on offer s: z[c,o,s]
when o is the representative, else y[c,r,o,s]; in(o, r) = sum_s mem[c,r,o,s] (0 or
1: one offer per lot) and X(o) = sum_{r,s} mem[c,r,o,s] (0 or 1: rule 1). Over the
slots and offers the candidate sets allow (``candidates.py``: every lot that keeps
the single-lot rules is there):

    join o [on s]        sum_{r [, s' = s]} mem[c,r,o,s'] >= 1
    exclude o [on s]     sum_{r [, s' = s]} mem[c,r,o,s'] <= 0
    together o, o2       in(o, r) = in(o2, r) for every slot r either can be in,
                         and X(o) >= 1
    apart o, o2          in(o, r) + in(o2, r) <= 1 for every slot r both can be in

``together``: both are in the same slot's lot, and a slot's lot has one offer, so
they share the lot. A ``join`` (or ``together``) lock whose member can be in no
slot at all gets the row never >= 1 on a variable fixed at 0: the model is
infeasible, as the instance is (no lot can hold the member), and a file written
from the model says so too.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from consortia.data.instance import Lock
from consortia.formulations.compact.index import ModelIndex

# (representative, supplier) -> o's membership variable of that slot on that offer
Memberships = dict[tuple[str, str], Any]


def add_locks(m: pyo.ConcreteModel, idx: ModelIndex) -> None:
    rows: dict[tuple[int, str], Any] = {}
    for lock in idx.cands.inst.lock_records:
        for part, row in lock_rows(m, idx, lock).items():
            rows[(lock.row, part)] = row
    if any(row is None for row in rows.values()):
        m.never = pyo.Var(bounds=(0, 0))

    def lock_row(m: pyo.ConcreteModel, row: int, part: str) -> Any:
        found = rows[row, part]
        return m.never >= 1 if found is None else found

    m.locks = pyo.Constraint(list(rows), rule=lock_row)


def lock_rows(m: pyo.ConcreteModel, idx: ModelIndex, lock: Lock) -> dict[str, Any]:
    """The rows of one lock by a readable part name; None stands for a row that no
    plan can meet (a member that must be in a lot but can be in none)."""
    c, o = lock.category_id, lock.org_id
    mine = memberships(m, idx, c, o)
    if lock.rule in ("join", "exclude"):
        terms = [v for (_, s), v in mine.items() if lock.supplier_id in (None, s)]
        if lock.rule == "exclude":
            return {"out": sum(terms) <= 0} if terms else {}
        return {"in": sum(terms) >= 1 if terms else None}
    other = memberships(m, idx, c, lock.other_org_id or "")
    mine_in, other_in = slot_sums(mine), slot_sums(other)
    if lock.rule == "apart":
        both = sorted(mine_in.keys() & other_in.keys())
        return {f"slot {r}": mine_in[r] + other_in[r] <= 1 for r in both}
    rows: dict[str, Any] = {"in": sum(mine.values()) >= 1 if mine else None}
    for r in sorted(mine_in.keys() | other_in.keys()):
        if r in mine_in and r in other_in:
            rows[f"slot {r}"] = mine_in[r] == other_in[r]
        else:  # only one of the pair can be in this slot: it stays out
            rows[f"slot {r}"] = (mine_in.get(r, 0) + other_in.get(r, 0)) <= 0
    return rows


def memberships(m: pyo.ConcreteModel, idx: ModelIndex, c: str, o: str) -> Memberships:
    """o's membership variables in category c, by (representative, supplier)."""
    found: Memberships = {}
    slot = idx.slots.get((c, o))
    if slot is not None:
        for s in slot.offers:
            found[(o, s)] = m.z[c, o, s]
    for _, r, _, s in idx.joins.get((c, o), []):
        found[(r, s)] = m.y[c, r, o, s]
    return found


def slot_sums(mine: Memberships) -> dict[str, Any]:
    """in(o, r) for every slot r of the memberships."""
    sums: dict[str, Any] = {}
    for (r, _), var in mine.items():
        sums[r] = sums[r] + var if r in sums else var
    return sums
