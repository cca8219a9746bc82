"""The arithmetic of the spec (sections 3-5), written once and kept free of any model.

These functions define the numbers a plan is judged by: the checker, the brute-force
enumerator, the heuristic and the read-back of a solved model all price lots here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from consortia.data.instance import Category, Instance, Offer

REL_TOL = 1e-9

# A lot member as the arithmetic sees it: demand d(o,c), baseline b(o,c), surcharge h(o,s,c).
Member = tuple[float, float, float]


def tier_cost(offer: Offer, volume: float) -> float | None:
    """cost(V) of spec section 3, or None when V is below the first tier."""
    tiers = offer.tiers
    if volume < tiers[0][0] - 1e-9 * max(1.0, tiers[0][0]):
        return None
    if offer.discount == "all_units":
        price = tiers[0][1]
        for q, p in tiers:
            if q <= volume * (1 + 1e-12):
                price = p
        return price * volume
    cost = 0.0
    for k, (q, p) in enumerate(tiers):
        upper = tiers[k + 1][0] if k + 1 < len(tiers) else math.inf
        cost += p * max(0.0, min(volume, upper) - q)
    return cost


def tier_costs(offer: Offer, volume: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tier_cost`` of many volumes at once: cost(V) (the first tier's price times
    V below the first tier, as ``lot_terms`` takes it) and which volumes lie below
    the first tier. The same thresholds and slack as ``tier_cost`` (tested equal)."""
    q = np.array([t[0] for t in offer.tiers], dtype=float)
    p = np.array([t[1] for t in offer.tiers], dtype=float)
    below = volume < q[0] - 1e-9 * max(1.0, q[0])
    if offer.discount == "all_units":
        k = np.maximum(np.searchsorted(q, volume * (1 + 1e-12), side="right") - 1, 0)
        return p[k] * volume, below
    at = np.concatenate([[0.0], np.cumsum(np.diff(q) * p[:-1])])
    k = np.maximum(np.searchsorted(q, volume, side="right") - 1, 0)
    cost = at[k] + p[k] * (volume - q[k])
    return np.where(below, p[0] * volume, cost), below


def live_weights(inst: Instance) -> np.ndarray:
    """M(p) for p = 0 .. horizon + 1, indexable by a live period (0 beyond the horizon)."""
    horizon = inst.settings.horizon
    return np.array([inst.live_weight(p) for p in range(horizon + 2)], dtype=float)


def lead_time(category: Category, members: int) -> int:
    """base_lead + ceil(member_lead * (n - 1)), with 1e-9 snapping before the ceiling."""
    extra = category.member_lead * (members - 1)
    nearest = round(extra)
    if abs(extra - nearest) <= 1e-9:
        extra = nearest
    return category.base_lead + math.ceil(extra)


def within(value: float, limit: float) -> bool:
    """value <= limit with the spec's relative tolerance."""
    return value <= limit + REL_TOL * max(1.0, abs(limit))


def live_period(offer: Offer, lead: int, start: int) -> int:
    """live = max(start + lead, available_from) (spec section 4)."""
    return max(start + lead, offer.available_from)


@dataclass(frozen=True, slots=True)
class LotTerms:
    """The numbers of a lot that follow from its size, volume, offer and start alone."""

    volume: float
    cost: float  # cost(V); below the first tier, the first tier's price times V
    below_first_tier: bool  # rule 5 broken: the offer cannot serve the volume
    lead: int
    live: int
    one_off: float  # fixed cost + coordination cost per member

    @property
    def unit(self) -> float:
        """cost(V) / V, the price every member pays before its surcharge."""
        return self.cost / self.volume

    def net(self, weight: float, savings: float) -> float:
        """Net savings M(live) * S - one-off costs, given M(live) and S (spec section 5)."""
        return weight * savings - self.one_off


def lot_terms(category: Category, offer: Offer, size: int, volume: float, start: int) -> LotTerms:
    """Tier cost, lead time, live period and one-off costs of a lot (spec sections 3-5)."""
    cost = tier_cost(offer, volume)
    lead = lead_time(category, size)
    return LotTerms(
        volume=volume,
        cost=offer.tiers[0][1] * volume if cost is None else cost,
        below_first_tier=cost is None,
        lead=lead,
        live=live_period(offer, lead, start),
        one_off=offer.fixed_cost + category.coordination_cost * size,
    )


@dataclass(frozen=True, slots=True)
class LotValue:
    """A lot's numbers per member: u(o), d(o) (b(o) - u(o)) and who breaks rule 9."""

    terms: LotTerms
    prices: tuple[float, ...]  # u(o) = cost(V) / V + h(o), in member order
    savings: tuple[float, ...]  # d(o) * (b(o) - u(o)) per period, in member order
    irrational: tuple[int, ...]  # positions of the members paying more than their baseline

    @property
    def savings_per_period(self) -> float:
        return math.fsum(self.savings)

    def net(self, weight: float) -> float:
        return self.terms.net(weight, self.savings_per_period)


def price_members(terms: LotTerms, members: Sequence[Member]) -> LotValue:
    """Each member's effective unit price and saving under the lot's terms (rule 9)."""
    unit = terms.unit
    prices = tuple(unit + h for _, _, h in members)
    return LotValue(
        terms=terms,
        prices=prices,
        savings=tuple(d * (b - u) for (d, b, _), u in zip(members, prices, strict=True)),
        irrational=tuple(
            i
            for i, ((_, b, _), u) in enumerate(zip(members, prices, strict=True))
            if not within(u, b)
        ),
    )


def lot_value(category: Category, offer: Offer, members: Sequence[Member], start: int) -> LotValue:
    """Every number of a lot of these members on this offer starting in `start`."""
    volume = math.fsum(d for d, _, _ in members)
    return price_members(lot_terms(category, offer, len(members), volume, start), members)
