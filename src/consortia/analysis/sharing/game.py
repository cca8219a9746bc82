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
from consortia.rules.connectivity import is_connected
from consortia.rules.plan import LotOutcome, member_terms
from consortia.rules.spec import lot_terms, price_members


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
        self._ready = [inst.pair_ready[(o, c)] for o in self.members]
        self._volume = [inst.demand_of[(o, c)][0] for o in self.members]
        self._cat = inst.category[c]
        self._offers = [
            off for off in inst.offers_in[c] if off.available_from <= inst.settings.horizon
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

    def _stand_alone(self, mask: int) -> float:
        inst, cat = self.inst, self._cat
        idx = [i for i in range(self.n) if mask >> i & 1]
        size = len(idx)
        if size < cat.min_members or (cat.max_members is not None and size > cat.max_members):
            return 0.0
        group = [self.members[i] for i in idx]
        if not is_connected(group, inst.neighbours):
            return 0.0
        start = max(self._ready[i] for i in idx)
        volume = math.fsum(self._volume[i] for i in idx)
        best = 0.0
        c = self.outcome.lot.category_id
        for off in self._offers:
            terms = lot_terms(cat, off, size, volume, start)
            if terms.live > inst.settings.horizon or volume > off.capacity * (1 + 1e-12):
                continue
            if terms.below_first_tier or not all(off.serves(inst.region[o]) for o in group):
                continue
            value = price_members(terms, member_terms(inst, c, off.supplier_id, group))
            if inst.settings.individually_rational and value.irrational:
                continue
            best = max(best, value.net(inst.live_weight(terms.live)))
        return best
