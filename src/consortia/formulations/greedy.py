"""A greedy plan: a fast, always-feasible starting point for the solver.

For every category and offer, lots are grown from the largest remaining
organization by adding collaborating neighbours while the lot's net savings rise;
the lots found are then accepted best first, each scheduled at the earliest start
that respects readiness, capacity and the parallel-formation limit. The plan is
priced and checked by :mod:`consortia.rules.plan`; anything infeasible is dropped.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from consortia.data.instance import Instance
from consortia.formulations.candidates import Candidates
from consortia.rules.plan import Lot, LotOutcome, assess_plan, member_terms, price_lot
from consortia.rules.spec import lot_value, within


def greedy_plan(cands: Candidates) -> list[LotOutcome]:
    """A feasible plan built from the proposed lots, best first."""
    return schedule_lots(cands.inst, proposed_lots(cands))


def proposed_lots(cands: Candidates) -> list[Lot]:
    """Lots grown per category and offer, best first (start 0: not yet scheduled)."""
    inst = cands.inst
    proposals: list[tuple[float, Lot]] = []
    for cat_id in inst.category:
        for off in inst.offers_in[cat_id]:
            pool = [o for (o, s, c) in cands.threshold if s == off.supplier_id and c == cat_id]
            proposals += _grow_lots(inst, cat_id, off.supplier_id, pool)
    proposals.sort(key=lambda item: (-item[0], item[1]))
    return [lot for _, lot in proposals]


def _value(inst: Instance, cat_id: str, sup: str, members: list[str]) -> float:
    """Net savings of a lot started as early as readiness allows, -inf if not allowed."""
    cat = inst.category[cat_id]
    off = inst.offer[(sup, cat_id)]
    if cat.max_members is not None and len(members) > cat.max_members:
        return -math.inf
    start = max(inst.ready[o] for o in members)
    value = lot_value(cat, off, member_terms(inst, cat_id, sup, members), start)
    terms = value.terms
    if terms.volume > off.capacity * (1 + 1e-9) or terms.below_first_tier:
        return -math.inf
    if inst.settings.individually_rational and value.irrational:
        return -math.inf
    if terms.live > inst.settings.horizon:
        return -math.inf
    return value.net(inst.live_weight(terms.live))


def _grow_lots(inst: Instance, cat_id: str, sup: str, pool: list[str]) -> list[tuple[float, Lot]]:
    size = {o: inst.demand_of[(o, cat_id)][0] for o in pool}
    remaining = sorted(pool, key=lambda o: (-size[o], inst.org_index[o]))
    neighbours = inst.neighbours
    out = []
    while remaining:
        seed = remaining[0]
        members = [seed]
        best = _value(inst, cat_id, sup, members)
        improved = True
        while improved:
            improved = False
            inside = set(members)
            for o in remaining:
                if o in inside:
                    continue
                if neighbours is not None and not (neighbours[o] & inside):
                    continue
                value = _value(inst, cat_id, sup, members + [o])
                if value > best + 1e-9:
                    members.append(o)
                    best = value
                    improved = True
                    break
        if best > 1e-9:
            out.append((best, Lot(cat_id, sup, tuple(members), 0)))
        taken = set(members)
        remaining = [o for o in remaining if o not in taken]
    return out


def schedule_lots(inst: Instance, proposals: list[Lot]) -> list[LotOutcome]:
    """A feasible plan from lots in order of preference: each lot whose members are
    still free starts as early as its members' readiness, the formation limit and
    the offer's capacity allow while it still saves; the others are left out."""
    horizon = inst.settings.horizon
    limit = inst.settings.max_parallel_formations
    used_pairs: set[tuple[str, str]] = set()
    load: defaultdict[tuple[str, str], float] = defaultdict(float)
    forming: Counter[int] = Counter()
    accepted: list[LotOutcome] = []
    for lot in proposals:
        if any((o, lot.category_id) in used_pairs for o in lot.members):
            continue
        key = (lot.supplier_id, lot.category_id)
        first = max(inst.ready[o] for o in lot.members)
        for start in range(first, horizon + 1):
            outcome, problems = price_lot(
                inst, Lot(lot.category_id, lot.supplier_id, lot.members, start)
            )
            if outcome is None or problems:
                break
            if limit is not None and any(forming[p] >= limit for p in outcome.forming):
                continue
            if outcome.net <= 1e-9:
                break
            if not within(load[key] + outcome.volume, inst.offer[key].capacity):
                break
            accepted.append(outcome)
            used_pairs.update((o, lot.category_id) for o in lot.members)
            load[key] += outcome.volume
            forming.update(outcome.forming)
            break
    if not assess_plan(inst, [o.lot for o in accepted]).feasible:
        return []
    return accepted
