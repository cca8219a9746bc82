"""The arithmetic of the spec (sections 3-5), written once and kept free of any model.

These functions define the numbers a plan is judged by: the checker, the brute-force
enumerator, the heuristic and the read-back of a solved model all price lots here.
"""

from __future__ import annotations

import math

from consortia.data.instance import Category, Offer

REL_TOL = 1e-9


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
