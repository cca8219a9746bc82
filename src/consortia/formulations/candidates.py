"""Sparse candidate sets: which lots, members, offers, tiers and periods can occur.

Everything a formulation indexes over is computed here once, from the instance
alone, so that a model only ever creates variables for combinations that a
feasible plan could use. A lot is identified by its *representative*, the member
that comes first in organization order; a member can only join a representative's
lot on offer s if it comes later in that order, is served by s, can be
individually rational on s, and lies in the representative's component of the
collaboration graph restricted to such organizations (spec rule 7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from consortia.data.instance import Category, Instance, Offer
from consortia.rules.connectivity import component
from consortia.rules.spec import REL_TOL, lead_time


@dataclass(frozen=True)
class TierSegment:
    """Tier k of an offer as a segment of the volume axis: cost = alpha + price * volume."""

    k: int
    lo: float
    hi: float
    price: float
    alpha: float


@dataclass
class Slot:
    """The lot a representative can lead in a category."""

    category_id: str
    rep: str
    offers: dict[str, tuple[str, ...]]  # supplier -> candidate (non-representative) members
    max_volume: dict[str, float]  # supplier -> largest volume the lot can reach
    sizes: tuple[int, int]  # smallest and largest member count
    lead_levels: tuple[tuple[int, int, int], ...]  # (lead, smallest n, largest n)
    starts: tuple[int, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.category_id, self.rep)

    @property
    def min_lead(self) -> int:
        return min(level[0] for level in self.lead_levels)


@dataclass
class Candidates:
    inst: Instance
    # (org, supplier, category) -> smallest lot volume at which the member is
    # individually rational on the offer (also at least the first tier).
    threshold: dict[tuple[str, str, str], float] = field(default_factory=dict)
    segments: dict[tuple[str, str], tuple[TierSegment, ...]] = field(default_factory=dict)
    # per category: (category, organizations, offer -> usable members, who can join)
    slot_inputs: list[tuple[str, list[str], dict[str, list[str]], set[str]]] = field(
        default_factory=list
    )

    @property
    def horizon(self) -> int:
        return self.inst.settings.horizon

    @cached_property
    def slots(self) -> list[Slot]:
        """Every (category, representative) lot slot. Computed on first use: it
        costs O(organizations^2 x offers) per category, which the offer model,
        indexed by offer instead, never pays."""
        out = []
        for cat_id, orgs, usable, can_join in self.slot_inputs:
            for rep in orgs:
                slot = _slot(self.inst, self, cat_id, rep, usable, can_join)
                if slot is not None:
                    out.append(slot)
        return out


def rational_threshold(offer: Offer, limit: float) -> float | None:
    """Smallest volume V >= q_1 with cost(V)/V <= limit, or None if there is none.

    The average price of both schedules never rises with volume (all-units prices
    fall by tier; incremental cost is concave with cost(0) = 0), so rationality is
    exactly the bound V >= threshold.
    """
    tiers = offer.tiers
    if offer.discount == "all_units":
        for q, p in tiers:
            if p <= limit:
                return q
        return None
    spent = 0.0
    for k, (q, p) in enumerate(tiers):
        upper = tiers[k + 1][0] if k + 1 < len(tiers) else math.inf
        a = spent - p * q  # cost on this segment is a + p * V, with a >= 0
        if a <= 0 and p <= limit:
            return max(q, tiers[0][0])
        if p < limit:
            v = max(q, a / (limit - p))
            if v <= upper:
                return v
        spent += p * (upper - q) if upper < math.inf else 0.0
    return None


def tier_segments(offer: Offer, max_volume: float) -> tuple[TierSegment, ...]:
    """Tiers as segments [lo, hi] with cost alpha + price * V, cut at max_volume."""
    tiers = offer.tiers
    out = []
    spent = 0.0
    for k, (q, p) in enumerate(tiers):
        upper = tiers[k + 1][0] if k + 1 < len(tiers) else math.inf
        alpha = spent - p * q if offer.discount == "incremental" else 0.0
        if q <= max_volume:
            out.append(TierSegment(k, q, min(upper, max_volume), p, alpha))
        if upper < math.inf:
            spent += p * (upper - q)
    return tuple(out)


def build_candidates(inst: Instance) -> Candidates:
    """Compute every sparse set of the formulations for an instance."""
    cands = Candidates(inst)
    horizon = inst.settings.horizon
    order = inst.org_index
    for cat_id, cat in inst.category.items():
        offers = [o for o in inst.offers_in[cat_id] if o.available_from <= horizon]
        orgs = sorted(
            (
                o
                for (o, c) in inst.demand_of
                if c == cat_id and inst.pair_ready[(o, c)] + cat.base_lead <= horizon
            ),
            key=order.__getitem__,
        )
        if not offers or not orgs:
            continue
        usable: dict[str, list[str]] = {}
        for off in offers:
            total = sum(inst.demand_of[(o, cat_id)][0] for o in orgs if off.serves(inst.region[o]))
            reach = min(total, off.capacity)
            members = []
            for o in orgs:
                if not off.serves(inst.region[o]):
                    continue
                q, b = inst.demand_of[(o, cat_id)]
                if inst.settings.individually_rational:
                    h = inst.surcharge.get((o, off.supplier_id, cat_id), 0.0)
                    limit = b + REL_TOL * max(1.0, b) - h
                    v = rational_threshold(off, limit)
                else:
                    v = off.tiers[0][0]
                if v is None or max(v, q) > reach * (1 + 1e-12):
                    continue
                cands.threshold[(o, off.supplier_id, cat_id)] = v
                members.append(o)
            if members:
                usable[off.supplier_id] = members
        two_lead = lead_time(cat, 2)
        can_join = {o for o in orgs if inst.pair_ready[(o, cat_id)] + two_lead <= horizon}
        cands.slot_inputs.append((cat_id, orgs, usable, can_join))
        for sup in usable:
            off = inst.offer[(sup, cat_id)]
            reach = min(
                off.capacity,
                sum(inst.demand_of[(o, cat_id)][0] for o in orgs if off.serves(inst.region[o])),
            )
            cands.segments[(sup, cat_id)] = tier_segments(off, reach)
    return cands


def _slot(
    inst: Instance,
    cands: Candidates,
    cat_id: str,
    rep: str,
    usable: dict[str, list[str]],
    can_join: set[str],
) -> Slot | None:
    cat = inst.category[cat_id]
    horizon = inst.settings.horizon
    order = inst.org_index
    rank = order[rep]
    max_n = cat.max_members if cat.max_members is not None else math.inf
    offers: dict[str, tuple[str, ...]] = {}
    max_volume: dict[str, float] = {}
    for sup, members in usable.items():
        if rep not in members:
            continue
        off = inst.offer[(sup, cat_id)]
        later = [o for o in members if order[o] > rank and o in can_join] if max_n > 1 else []
        later = _component(inst, rep, later)
        volume = inst.demand_of[(rep, cat_id)][0] + sum(
            inst.demand_of[(o, cat_id)][0] for o in later
        )
        volume = min(volume, off.capacity)
        later = [o for o in later if cands.threshold[(o, sup, cat_id)] <= volume * (1 + 1e-12)]
        if cands.threshold[(rep, sup, cat_id)] > volume * (1 + 1e-12):
            continue
        if 1 + len(later) < cat.min_members:
            continue
        offers[sup] = tuple(later)
        max_volume[sup] = volume
    if not offers:
        return None
    largest = int(min(max_n, 1 + max(len(m) for m in offers.values())))
    ready = inst.pair_ready[(rep, cat_id)]
    lead_levels = tuple(lead_levels_of(cat, largest, ready, horizon))
    if not lead_levels:
        return None
    smallest_lead = lead_levels[0][0]
    starts = tuple(range(ready, horizon - smallest_lead + 1))
    sizes = (cat.min_members, max(level[2] for level in lead_levels))
    return Slot(cat_id, rep, offers, max_volume, sizes, lead_levels, starts)


def lead_levels_of(
    cat: Category, largest: int, earliest: int, horizon: int
) -> list[tuple[int, int, int]]:
    """(lead, smallest n, largest n) for the member counts from min_members to
    `largest` whose lead time still fits between `earliest` and the horizon."""
    sizes: dict[int, list[int]] = {}
    for n in range(cat.min_members, largest + 1):
        lead = lead_time(cat, n)
        if earliest + lead <= horizon:
            sizes.setdefault(lead, []).append(n)
    return [(lead, min(ns), max(ns)) for lead, ns in sorted(sizes.items())]


def _component(inst: Instance, rep: str, later: list[str]) -> list[str]:
    """Members of `later` reachable from rep through organizations of `later` only."""
    if inst.neighbours is None or not later:
        return later
    reach = component(rep, set(later) | {rep}, inst.neighbours)
    return [o for o in later if o in reach]
