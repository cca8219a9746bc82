"""Supplier rules (spec section 11) judged on a plan's awarded volumes.

With ``V(s,c)`` the volume of all lots on offer (s, c) and ``V(c) = Σ_s V(s,c)``
the awarded volume of category c:

- ``max_suppliers(c)``: at most this many distinct suppliers have a lot in c;
- ``max_share(s,c)``: ``V(s,c) ≤ max_share(s,c) · V(c)`` (spec relative tolerance).

Both hold for the empty plan (0 ≤ 0); an offer with ``max_share < 1`` can only be
used next to lots on other offers of its category, so together with ``join`` or
``together`` locks the rule can leave an instance without a feasible plan.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from consortia.data.instance import Instance
from consortia.rules.spec import within

# (category, supplier, volume) of one awarded lot
Award = tuple[str, str, float]


def supplier_breaches(inst: Instance, awards: Iterable[Award]) -> list[str]:
    """Every category over its ``max_suppliers`` and every offer over its
    ``max_share`` of its category's awarded volume, in words."""
    volumes: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for cat, sup, volume in awards:
        volumes[(sup, cat)].append(volume)
    return _too_many_suppliers(inst, volumes) + _over_share(inst, volumes)


def _too_many_suppliers(inst: Instance, volumes: dict[tuple[str, str], list[float]]) -> list[str]:
    used: defaultdict[str, set[str]] = defaultdict(set)
    for sup, cat in volumes:
        used[cat].add(sup)
    return [
        f"category {cat} uses {len(used[cat])} suppliers ({', '.join(sorted(used[cat]))}), "
        f"more than its max_suppliers {limit}"
        for cat, limit in sorted(inst.max_suppliers.items())
        if len(used[cat]) > limit
    ]


def _over_share(inst: Instance, volumes: dict[tuple[str, str], list[float]]) -> list[str]:
    category_volume: defaultdict[str, list[float]] = defaultdict(list)
    for (_, cat), vols in volumes.items():
        category_volume[cat] += vols
    found = []
    for (sup, cat), vols in sorted(volumes.items()):
        offer = inst.offer.get((sup, cat))
        if offer is None or offer.max_share >= 1:
            continue
        mine, total = math.fsum(vols), math.fsum(category_volume[cat])
        if not within(mine, offer.max_share * total):
            found.append(
                f"offer {sup}/{cat} carries {mine:g} of the {total:g} awarded in {cat}, "
                f"more than its max_share {offer.max_share:g} (at most {offer.max_share * total:g})"
            )
    return found
