"""Translate between plans and values of the compact model's variables."""

from __future__ import annotations

from collections.abc import Callable

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.own_formation_limits import encode_involvement
from consortia.formulations.compact.tiers import encode_tiers
from consortia.rules.plan import Lot, LotOutcome


def decode_plan(
    m: pyo.ConcreteModel, idx: ModelIndex, value: Callable[[object], float]
) -> list[Lot]:
    """The lots of a solution: open slots, their offer, members and start."""
    lots = []
    for c, r, s in idx.offers:
        if value(m.z[c, r, s]) < 0.5:
            continue
        slot = idx.slots[c, r]
        members = [r] + [o for o in slot.offers[s] if value(m.y[c, r, o, s]) > 0.5]
        start = max(slot.starts, key=lambda p: value(m.a[c, r, p]))
        lots.append(Lot(c, s, tuple(members), start))
    return lots


def encode_plan(
    m: pyo.ConcreteModel, idx: ModelIndex, outcomes: list[LotOutcome]
) -> ComponentMap | None:
    """Values of every model variable for a feasible plan (a MIP start).

    Returns None if a lot cannot be expressed in the model's sparse sets, which
    only happens for lots that break a rule the candidate sets already enforce.
    """
    values = ComponentMap((var, 0.0) for var in m.component_data_objects(pyo.Var))
    inst = idx.cands.inst
    order = inst.org_index
    led: dict[tuple[str, str], LotOutcome] = {}
    for out in outcomes:
        lot = out.lot
        c, s = lot.category_id, lot.supplier_id
        members = sorted(lot.members, key=order.__getitem__)
        r = members[0]
        led[(c, r)] = out
        slot = idx.slots.get((c, r))
        if slot is None or s not in slot.offers or lot.start not in slot.starts:
            return None
        if not set(members[1:]) <= set(slot.offers[s]):
            return None
        values[m.z[c, r, s]] = 1.0
        for o in members[1:]:
            values[m.y[c, r, o, s]] = 1.0
        tier = _tier_holding(idx, c, r, s, out.volume, out.cost)
        if tier is None:
            return None
        encode_tiers(m, idx, values, c, r, s, tier, out.volume)
        values[m.a[c, r, lot.start]] = 1.0
        if len(slot.lead_levels) > 1:
            values[m.lvl[c, r, out.lead]] = 1.0
        bound = m.g[c, r, inst.settings.horizon].ub
        for p in range(slot.starts[0] + slot.min_lead, inst.settings.horizon + 1):
            values[m.ended[c, r, p]] = 1.0 if lot.start + out.lead <= p else 0.0
            values[m.live[c, r, p]] = 1.0 if out.live <= p else 0.0
            values[m.g[c, r, p]] = min(bound, out.savings_per_period) if out.live <= p else 0.0
    encode_involvement(m, values, led)
    for c, s in getattr(m, "uses", ()):
        if any(out.lot.category_id == c and out.lot.supplier_id == s for out in outcomes):
            values[m.uses[c, s]] = 1.0
    return values


def _tier_holding(
    idx: ModelIndex, c: str, r: str, s: str, volume: float, cost: float
) -> int | None:
    """The tier whose segment holds the volume at the spec's cost."""
    best = None
    for k in idx.tiers_of[c, r, s]:
        seg = idx.segment[c, r, s, k]
        if seg.lo - 1e-9 <= volume <= seg.hi + 1e-9:
            price = seg.alpha + seg.price * volume
            if abs(price - cost) <= 1e-7 * max(1.0, cost):
                best = k
    return best
