"""The cooperative game of a lot (``models/sharing.md``).

Players are the members of a lot G in category c. For a sub-group S ⊂ G,
v(S) is the best net savings S could obtain as a lot of its own in category c
under the single-lot rules of the specification — any offer of the category that
serves all of S (regions), the offer's full capacity, minimum volume, member
limits, connectivity in the collaboration graph, individual rationality, lead
time and horizon — started as early as its members' readiness allows, and never
below 0 (members can always stay at baseline). v(G) is the lot's value in the plan.
Coalitions are bit masks over the member list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from consortia.data.instance import Instance
from consortia.rules.plan import LotOutcome
from consortia.rules.spec import lead_time, tier_cost, within


class Game(Protocol):
    """What the Shapley value, the nucleolus and the core check need of a game."""

    members: tuple[str, ...]
    grand_value: float

    @property
    def n(self) -> int: ...

    @property
    def full(self) -> int: ...

    def value(self, mask: int) -> float: ...


@dataclass
class LotGame:
    inst: Instance
    outcome: LotOutcome
    members: tuple[str, ...] = field(init=False)
    grand_value: float = field(init=False)
    _cache: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.members = self.outcome.lot.members
        self.grand_value = self.outcome.net
        inst, c = self.inst, self.outcome.lot.category_id
        self._demand = [inst.demand_of[(o, c)] for o in self.members]
        self._ready = [inst.ready[o] for o in self.members]
        self._cat = inst.category[c]
        self._offers = [
            off for off in inst.offers_in[c] if off.available_from <= inst.settings.horizon
        ]
        neighbours = inst.neighbours
        index = {o: i for i, o in enumerate(self.members)}
        self._adjacent: list[int] | None = None
        if neighbours is not None:
            self._adjacent = [
                sum(1 << index[k] for k in neighbours[o] if k in index) for o in self.members
            ]

    @property
    def n(self) -> int:
        return len(self.members)

    @property
    def full(self) -> int:
        return (1 << self.n) - 1

    def value(self, mask: int) -> float:
        """v(S) for the coalition given as a bit mask."""
        if mask == self.full:
            return self.grand_value
        if mask == 0:
            return 0.0
        cached = self._cache.get(mask)
        if cached is None:
            cached = self._cache[mask] = self._stand_alone(mask)
        return cached

    def _connected(self, mask: int) -> bool:
        if self._adjacent is None:
            return True
        start = mask & -mask
        seen = start
        frontier = start
        while frontier:
            low = frontier & -frontier
            frontier ^= low
            new = self._adjacent[low.bit_length() - 1] & mask & ~seen
            seen |= new
            frontier |= new
        return seen == mask

    def _stand_alone(self, mask: int) -> float:
        inst, cat = self.inst, self._cat
        idx = [i for i in range(self.n) if mask >> i & 1]
        size = len(idx)
        if size < cat.min_members or (cat.max_members is not None and size > cat.max_members):
            return 0.0
        if not self._connected(mask):
            return 0.0
        volume = math.fsum(self._demand[i][0] for i in idx)
        start = max(self._ready[i] for i in idx)
        lead = lead_time(cat, size)
        best = 0.0
        c = self.outcome.lot.category_id
        for off in self._offers:
            live = max(start + lead, off.available_from)
            if live > inst.settings.horizon or volume > off.capacity * (1 + 1e-12):
                continue
            if not all(off.serves(inst.region[self.members[i]]) for i in idx):
                continue
            cost = tier_cost(off, volume)
            if cost is None:
                continue
            unit = cost / volume
            savings = 0.0
            rational = True
            for i in idx:
                q, b = self._demand[i]
                price = unit + inst.surcharge.get((self.members[i], off.supplier_id, c), 0.0)
                if inst.settings.individually_rational and not within(price, b):
                    rational = False
                    break
                savings += q * (b - price)
            if not rational:
                continue
            net = inst.live_weight(live) * savings - off.fixed_cost - cat.coordination_cost * size
            best = max(best, net)
        return best
