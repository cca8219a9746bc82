"""The plan an analyst draws by hand, and a bound that needs no model; both scale.

**By-hand plan** ("one lot per region and category, biggest buyers first"): for
every category and region, the bodies are taken in order of demand (along the
collaboration graph where there is one: the biggest buyer, then always the
biggest collaborating neighbour of those taken); every offer serving the region
is tried, each prefix of that order is valued at once (running sums of volume,
gain, rationality margin and readiness), and the best prefix on the best offer
is the region's lot. The lots are then scheduled best first by
``greedy.schedule_lots``, which prices them by the rules.

**Member bound**: a lot's net savings are at most the sum over its members of
``M(earliest live) d (b - h - cheapest price)`` less their coordination costs
(the average price of a lot is never below the offer's cheapest tier price, its
live period never before the member is ready plus the base lead, fixed costs
only lower it). Lots are disjoint, so the sum over every demand pair of the
best such amount (at least 0) over the offers serving it bounds every plan.
It is weak — every member is credited the deepest discount — but valid and
computed in one pass over numpy arrays.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd

from consortia.data.instance import Instance, Offer
from consortia.rules.plan import Lot
from consortia.rules.spec import REL_TOL, lead_time, live_weights, tier_costs


def _category_frames(inst: Instance) -> dict[str, pd.DataFrame]:
    """Per category: org, quantity, baseline, region and the pair's readiness r(o,c)
    (as ``ready_period``), one row per demand pair."""
    orgs = inst.organizations.set_index("org_id")
    demand = inst.demand.join(orgs[["region"]], on="org_id")
    pairs = zip(demand["org_id"], demand["category_id"], strict=True)
    demand["ready_period"] = [inst.pair_ready[pair] for pair in pairs]
    return {c: frame.reset_index(drop=True) for c, frame in demand.groupby("category_id")}


def _surcharge_tables(inst: Instance) -> dict[tuple[str, str], pd.Series]:
    """(supplier, category) -> surcharge by organization, grouped once."""
    table = inst.surcharges
    if table is None or not len(table):
        return {}
    return {
        (str(s), str(c)): group.set_index("org_id")["unit_surcharge"]
        for (s, c), group in table.groupby(["supplier_id", "category_id"])
    }


def _surcharges(
    tables: dict[tuple[str, str], pd.Series], cat_id: str, offer: Offer, orgs: pd.Series
) -> np.ndarray:
    own = tables.get((offer.supplier_id, cat_id))
    if own is None:
        return np.zeros(len(orgs))
    return orgs.map(own).fillna(0.0).to_numpy(float)


def _served(offer: Offer, region: pd.Series) -> np.ndarray:
    """Spec rule 4 for a column of regions (``Offer.serves``, vectorised)."""
    if not offer.regions:
        return np.ones(len(region), dtype=bool)
    return (region.isin(list(offer.regions)) & (region != "")).to_numpy(bool)


def _order(positions: list[int], size: np.ndarray, near: dict[int, list[int]] | None) -> list[int]:
    """Biggest buyers first; with a graph, the biggest collaborating neighbour next."""
    ranked = sorted(positions, key=lambda i: (-size[i], i))
    if near is None or not ranked:
        return ranked
    allowed = set(positions)
    taken = [ranked[0]]
    seen = {ranked[0]}
    frontier: list[tuple[float, int]] = []
    for k in near.get(ranked[0], []):
        if k in allowed and k not in seen:
            heapq.heappush(frontier, (-size[k], k))
    while frontier:
        _, i = heapq.heappop(frontier)
        if i in seen:
            continue
        seen.add(i)
        taken.append(i)
        for k in near.get(i, []):
            if k in allowed and k not in seen:
                heapq.heappush(frontier, (-size[k], k))
    return taken


def regional_lots(inst: Instance) -> list[Lot]:
    """One proposed lot per category and region (start 0: not yet scheduled), best first."""
    horizon = inst.settings.horizon
    weights = live_weights(inst)
    tables = _surcharge_tables(inst)
    proposals: list[tuple[float, Lot]] = []
    for cat_id, frame in _category_frames(inst).items():
        cat = inst.category[cat_id]
        offers = [o for o in inst.offers_in.get(cat_id, []) if o.available_from <= horizon]
        if not offers:
            continue
        size = frame["quantity"].to_numpy(float)
        baseline = frame["baseline_price"].to_numpy(float)
        ready = frame["ready_period"].to_numpy(np.int64)
        names = frame["org_id"]
        near = None
        if inst.neighbours is not None:
            at = {o: i for i, o in enumerate(names)}
            near = {i: [at[k] for k in inst.neighbours[o] if k in at] for i, o in enumerate(names)}
        surcharge = {o.supplier_id: _surcharges(tables, cat_id, o, names) for o in offers}
        for region, rows in frame.groupby("region").indices.items():
            best: tuple[float, Lot] | None = None
            order = np.array(_order(list(rows), size, near), dtype=np.int64)
            n = np.arange(1, len(order) + 1)
            lead = np.array([lead_time(cat, int(k)) for k in n], dtype=np.int64)
            for offer in offers:
                if not offer.serves(str(region)):
                    continue
                h = surcharge[offer.supplier_id][order]
                d, b, r = size[order], baseline[order], ready[order]
                volume = np.cumsum(d)
                gain = np.cumsum(d * (b - h))
                margin = np.minimum.accumulate(b - h + REL_TOL * np.maximum(1.0, np.abs(b)))
                start = np.maximum.accumulate(r)
                cost, below = tier_costs(offer, volume)
                live = np.maximum(start + lead, offer.available_from)
                ok = ~below & (volume <= offer.capacity * (1 + 1e-9)) & (live <= horizon)
                ok &= n >= cat.min_members
                if cat.max_members is not None:
                    ok &= n <= cat.max_members
                if inst.settings.individually_rational:
                    ok &= cost / volume <= margin
                net = weights[np.minimum(live, horizon + 1)] * (gain - cost)
                net -= offer.fixed_cost + cat.coordination_cost * n
                net = np.where(ok, net, -math.inf)
                k = int(np.argmax(net))
                if net[k] > 1e-9 and (best is None or net[k] > best[0]):
                    members = tuple(names.iloc[order[: k + 1]])
                    best = (float(net[k]), Lot(cat_id, offer.supplier_id, members, 0))
            if best is not None:
                proposals.append(best)
    proposals.sort(key=lambda item: (-item[0], item[1]))
    return [lot for _, lot in proposals]


def member_bound(inst: Instance) -> float:
    """The member bound of the module docstring (rounded up)."""
    from consortia.formulations.bounds import sum_up

    horizon = inst.settings.horizon
    weights = live_weights(inst)
    tables = _surcharge_tables(inst)
    terms: list[float] = []
    for cat_id, frame in _category_frames(inst).items():
        cat = inst.category[cat_id]
        best = np.zeros(len(frame))
        size = frame["quantity"].to_numpy(float)
        baseline = frame["baseline_price"].to_numpy(float)
        ready = frame["ready_period"].to_numpy(np.int64)
        region = frame["region"].astype(str)
        for offer in inst.offers_in.get(cat_id, []):
            served = _served(offer, region)
            h = _surcharges(tables, cat_id, offer, frame["org_id"])
            cheapest = min(p for _, p in offer.tiers)
            live = np.maximum(ready + cat.base_lead, offer.available_from)
            weight = weights[np.minimum(live, horizon + 1)]
            value = weight * size * (baseline - h - cheapest) - cat.coordination_cost
            best = np.maximum(best, np.where(served, value, 0.0))
        terms += best.tolist()
    return sum_up(terms)
