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


def _order(
    positions: list[int], size: np.ndarray, near: dict[int, list[int]] | None, limit: int
) -> list[int]:
    """The first `limit` bodies of the order: biggest buyers first; with a graph, the
    biggest collaborating neighbour next. (The prefixes valued are at most `limit`
    long; walking a region's whole component for every chunk took most of the
    chunked plan's time at 44,000 bodies.)"""
    if near is None or not positions:
        return sorted(positions, key=lambda i: (-size[i], i))[:limit]
    at = np.asarray(positions)
    sizes = size[at]
    first = int(at[sizes == sizes.max()].min())  # the biggest, the first of equals
    allowed = set(positions)
    taken = [first]
    seen = {first}
    frontier: list[tuple[float, int]] = []
    for k in near.get(first, []):
        if k in allowed and k not in seen:
            heapq.heappush(frontier, (-size[k], k))
    while frontier and len(taken) < limit:
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
    return [lot for _, lot in _proposals(inst, repeat=False)]


def chunked_lots(inst: Instance) -> list[tuple[float, Lot]]:
    """Lots per category and region, as many as pay (start 0: not yet scheduled), with
    their net savings, best first: the by-hand lot of a region, then the by-hand lot
    of the bodies it left, and so on until no lot saves money. Where
    ``max_members`` or a growing lead time keeps one lot small, this pools the
    bodies the by-hand plan leaves out; the schedule then fits them to the
    formation limits."""
    return _proposals(inst, repeat=True)


def _proposals(inst: Instance, repeat: bool) -> list[tuple[float, Lot]]:
    horizon = inst.settings.horizon
    weights = live_weights(inst)
    tables = _surcharge_tables(inst)
    proposals: list[tuple[float, Lot]] = []
    for cat_id, frame in _category_frames(inst).items():
        offers = [o for o in inst.offers_in.get(cat_id, []) if o.available_from <= horizon]
        if not offers:
            continue
        size = frame["quantity"].to_numpy(float)
        names = frame["org_id"]
        near = None
        if inst.neighbours is not None:
            at = {o: i for i, o in enumerate(names)}
            near = {i: [at[k] for k in inst.neighbours[o] if k in at] for i, o in enumerate(names)}
        region_lot = _RegionLot(inst, cat_id, frame, offers, tables, weights)
        for region, rows in frame.groupby("region").indices.items():
            left = list(rows)
            while left:
                order = np.array(_order(left, size, near, region_lot.longest), dtype=np.int64)
                best = region_lot.best_prefix(str(region), order)
                if best is None:
                    break
                value, k, supplier = best
                members = tuple(names.iloc[order[: k + 1]])
                proposals.append((value, Lot(cat_id, supplier, members, 0)))
                if not repeat:
                    break
                taken = set(order[: k + 1].tolist())
                left = [i for i in left if i not in taken]
    proposals.sort(key=lambda item: (-item[0], item[1]))
    return proposals


class _RegionLot:
    """The best prefix of an order of a category's bodies on the best offer serving
    their region: each prefix valued at once from running sums of volume, gain,
    rationality margin and readiness."""

    def __init__(
        self,
        inst: Instance,
        cat_id: str,
        frame: pd.DataFrame,
        offers: list[Offer],
        tables: dict[tuple[str, str], pd.Series],
        weights: np.ndarray,
    ) -> None:
        self.inst, self.cat, self.offers, self.weights = (
            inst,
            inst.category[cat_id],
            offers,
            weights,
        )
        self.size = frame["quantity"].to_numpy(float)
        self.baseline = frame["baseline_price"].to_numpy(float)
        self.ready = frame["ready_period"].to_numpy(np.int64)
        names = frame["org_id"]
        self.surcharge = {o.supplier_id: _surcharges(tables, cat_id, o, names) for o in offers}
        cat, horizon = self.cat, inst.settings.horizon
        # beyond this many members no lot goes live within the horizon
        longest = len(frame) if cat.max_members is None else min(cat.max_members, len(frame))
        fits = [n for n in range(1, longest + 1) if 1 + lead_time(cat, n) <= horizon]
        self.longest = max(fits, default=0)
        self.lead = np.array([lead_time(cat, n) for n in range(1, self.longest + 1)], np.int64)

    def best_prefix(self, region: str, order: np.ndarray) -> tuple[float, int, str] | None:
        """(net savings, index of the prefix's last body, supplier) of the best
        prefix of `order`, or None when no prefix saves money."""
        inst, cat, horizon = self.inst, self.cat, self.inst.settings.horizon
        order = order[: self.longest]
        if not len(order):
            return None
        n = np.arange(1, len(order) + 1)
        lead = self.lead[: len(order)]
        d, b, r = self.size[order], self.baseline[order], self.ready[order]
        volume = np.cumsum(d)
        start = np.maximum.accumulate(r)
        best: tuple[float, int, str] | None = None
        for offer in self.offers:
            if not offer.serves(region):
                continue
            h = self.surcharge[offer.supplier_id][order]
            gain = np.cumsum(d * (b - h))
            margin = np.minimum.accumulate(b - h + REL_TOL * np.maximum(1.0, np.abs(b)))
            cost, below = tier_costs(offer, volume)
            live = np.maximum(start + lead, offer.available_from)
            ok = ~below & (volume <= offer.capacity * (1 + 1e-9)) & (live <= horizon)
            ok &= n >= cat.min_members
            if inst.settings.individually_rational:
                ok &= cost / volume <= margin
            net = self.weights[np.minimum(live, horizon + 1)] * (gain - cost)
            net -= offer.fixed_cost + cat.coordination_cost * n
            net = np.where(ok, net, -math.inf)
            k = int(np.argmax(net))
            if net[k] > 1e-9 and (best is None or net[k] > best[0]):
                best = (float(net[k]), k, offer.supplier_id)
        return best


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
