"""Filling a plan's lots with the bodies it leaves out, where that costs no time,
and exchanging members for left-out bodies that save more.

A lot of n members forms for ``lead(c, n)`` periods; the lead time grows in steps,
so most lots could hold a few more members without forming one period longer. A
body that is still free in the category, served by the lot's offer, ready by the
lot's start (spec section 9), free to help form it (its own limit, spec section
10) and, with a collaboration graph, a neighbour of a member, can join without
changing the lot's start, live period or forming periods — so the central formation
limit is untouched. Joining lowers (never raises) the lot's average price, spec
section 3, so the members stay individually rational; the newcomer must be too.
Its gain is ``M(live) (S' - S) - κ_c`` with S the lot's saving per period; bodies
are taken best first (the largest ``d (b - h)`` that the graph reaches) while
the gain is positive, the lot's offer has capacity and the lead stays the same.
Each filled lot is priced again by the rules and kept only if it is worth more.

**Exchanges.** A full lot may still hold members that save less than a free body
next to it would: exchanging them keeps the member count, hence the lead, start,
live and forming periods. The free body worth most at the lot's price (among the
first few) replaces the member worth least whose place it can take — the lot's
saving per period rises, the offer has capacity, every member stays individually
rational at the new volume and the lot stays connected — until no exchange pays
(at most as many as the lot has members). Members taken out are free for the lots
that come after. The exchanged lot is priced again and kept only if it is worth
more (a priced plan of 5,000 generated bodies: 25.41 G → 25.68 G after filling;
the 44,000-body plan: 263.4 G → 265.3 G, 10 s).

Instances with locks or supplier rules (spec sections 11, 12) are returned as
they are: joining could break them, and their plans come from the rule-aware
strategies.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from consortia.data.instance import Instance, Offer
from consortia.formulations.forced_lots import rules_in_force
from consortia.formulations.regional import _category_frames, _surcharge_tables, _surcharges
from consortia.rules.connectivity import is_connected
from consortia.rules.plan import Lot, LotOutcome, price_lot
from consortia.rules.spec import REL_TOL, lead_time, tier_costs, within


def fill_lots(inst: Instance, plan: list[LotOutcome]) -> list[LotOutcome]:
    """The plan with bodies added to its lots as the module docstring says (the
    same plan when nothing pays or rules of sections 11 and 12 are in force)."""
    if not plan or rules_in_force(inst):
        return list(plan)
    filler = _Filler(inst, plan)
    return [filler.exchange(filler.fill(out)) for out in sorted(plan, key=lambda x: -x.net)]


@dataclass(frozen=True)
class _Pairs:
    names: list[str]
    region: list[str]
    at: dict[str, int]
    size: np.ndarray
    baseline: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Pairs:
        names = frame["org_id"].tolist()
        return cls(
            names,
            frame["region"].astype(str).tolist(),
            {o: i for i, o in enumerate(names)},
            frame["quantity"].to_numpy(float),
            frame["baseline_price"].to_numpy(float),
        )


# free bodies (the best at the lot's price) tried for each exchange
EXCHANGE_TRIED = 5


class _Filler:
    """The plan's state (pairs in lots, offer loads, own forming counts) and each
    category's pairs as arrays."""

    def __init__(self, inst: Instance, plan: list[LotOutcome]) -> None:
        self.inst = inst
        self.used = {(o, out.lot.category_id) for out in plan for o in out.lot.members}
        self.load: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.own_forming: Counter[tuple[str, int]] = Counter()
        self.own_limit = inst.binding_org_capacity
        for out in plan:
            self.load[(out.lot.supplier_id, out.lot.category_id)] += out.volume
            for o in out.lot.members:
                if o in self.own_limit:
                    self.own_forming.update((o, p) for p in out.forming)
        self.frames = _category_frames(inst)
        self.tables = _surcharge_tables(inst)
        self._surcharge: dict[tuple[str, str], np.ndarray] = {}
        self._pairs: dict[str, _Pairs] = {}

    def surcharge(self, offer: Offer) -> np.ndarray:
        key = (offer.supplier_id, offer.category_id)
        if key not in self._surcharge:
            frame = self.frames[offer.category_id]
            self._surcharge[key] = _surcharges(
                self.tables, offer.category_id, offer, frame["org_id"]
            )
        return self._surcharge[key]

    def pairs(self, cat_id: str) -> _Pairs:
        """The category's pairs as lists and arrays, built once."""
        if cat_id not in self._pairs:
            self._pairs[cat_id] = _Pairs.of(self.frames[cat_id])
        return self._pairs[cat_id]

    def room(self, out: LotOutcome) -> int:
        """How many members the lot can gain without forming longer."""
        cat = self.inst.category[out.lot.category_id]
        n = len(out.lot.members)
        most = len(self.frames[cat.category_id]) if cat.max_members is None else cat.max_members
        room = 0
        while n + room < most and lead_time(cat, n + room + 1) == out.lead:
            room += 1
        return room

    def eligible(self, out: LotOutcome, offer: Offer, o: str, region: str) -> bool:
        """Whether o may join the lot: free, served, ready, free to help form it."""
        cat_id = out.lot.category_id
        if (o, cat_id) in self.used or not offer.serves(region):
            return False
        if self.inst.pair_ready[(o, cat_id)] > out.lot.start:
            return False
        limit = self.own_limit.get(o)
        return limit is None or all(self.own_forming[(o, p)] < limit for p in out.forming)

    def fill(self, out: LotOutcome) -> LotOutcome:
        """The lot with the bodies that pay added (itself when none does)."""
        room = self.room(out)
        if not room:
            return out
        inst, lot = self.inst, out.lot
        key = (lot.supplier_id, lot.category_id)
        offer = inst.offer[key]
        pairs = self.pairs(lot.category_id)
        names, region, at = pairs.names, pairs.region, pairs.at
        size, baseline = pairs.size, pairs.baseline
        surcharge = self.surcharge(offer)
        gross = size * (baseline - surcharge)
        coordination = inst.category[lot.category_id].coordination_cost

        members = [at[o] for o in lot.members]
        volume = float(size[members].sum())
        gain = float(gross[members].sum())
        saving = gain - float(tier_costs(offer, np.array([volume]))[0][0])
        heap: list[tuple[float, int]] = []
        seen = set(members)

        def consider(i: int) -> None:
            if i not in seen and self.eligible(out, offer, names[i], region[i]):
                seen.add(i)
                heapq.heappush(heap, (-gross[i], i))

        def neighbours_of(i: int) -> None:
            if inst.neighbours is not None:
                for k in inst.neighbours.get(names[i], ()):
                    if k in at:
                        consider(at[k])

        if inst.neighbours is None:
            for i in range(len(names)):
                consider(i)
        for m in members:
            neighbours_of(m)
        added: list[int] = []
        while heap and len(added) < room:
            _, i = heapq.heappop(heap)
            v = volume + size[i]
            if not within(self.load[key] - out.volume + v, offer.capacity):
                continue
            cost = float(tier_costs(offer, np.array([v]))[0][0])
            rational = within(cost / v + surcharge[i], baseline[i])
            if inst.settings.individually_rational and not rational:
                continue
            if out.weight * (gain + gross[i] - cost - saving) - coordination <= 0:
                continue
            volume, gain, saving = v, gain + gross[i], gain + gross[i] - cost
            added.append(i)
            neighbours_of(i)
        if not added:
            return out
        bigger = Lot(
            lot.category_id,
            lot.supplier_id,
            lot.members + tuple(names[i] for i in added),
            lot.start,
        )
        outcome, problems = price_lot(inst, bigger)
        if outcome is None or problems or outcome.net <= out.net or outcome.lead != out.lead:
            return out
        self.load[key] += outcome.volume - out.volume
        for i in added:
            self.used.add((names[i], lot.category_id))
            if names[i] in self.own_limit:
                self.own_forming.update((names[i], p) for p in out.forming)
        return outcome

    def exchange(self, out: LotOutcome) -> LotOutcome:
        """The lot with members exchanged for free bodies that save more, as the module
        docstring says (itself when no exchange pays)."""
        inst, lot = self.inst, out.lot
        key = (lot.supplier_id, lot.category_id)
        offer = inst.offer[key]
        pairs = self.pairs(lot.category_id)
        names, at, size, baseline = pairs.names, pairs.at, pairs.size, pairs.baseline
        gross = size * (baseline - self.surcharge(offer))
        members = [at[o] for o in lot.members]
        free = self._free_near(out, offer, members)
        volume = float(size[members].sum())
        saving = float(gross[members].sum() - tier_costs(offer, np.array([volume]))[0][0])
        exchanged = False
        for _ in range(len(members)):
            price = (float(gross[members].sum()) - saving) / volume
            value = gross - size * price  # each body's saving a period at the lot's price
            found = None
            for f in sorted(free, key=lambda i: -value[i])[:EXCHANGE_TRIED]:
                for m in sorted(members, key=lambda i: value[i]):
                    if value[m] >= value[f]:
                        break
                    after = self._exchanged(out, offer, members, m, f, saving)
                    if after is not None:
                        found = (m, f, *after)
                        break
                if found is not None:
                    break
            if found is None:
                break
            m, f, volume, saving = found
            members = [f if i == m else i for i in members]
            exchanged = True
            free.discard(f)
            free |= self._free_near(out, offer, [f]) - set(members)
        if not exchanged:
            return out
        other = Lot(lot.category_id, lot.supplier_id, tuple(names[i] for i in members), lot.start)
        outcome, problems = price_lot(inst, other)
        if outcome is None or problems or outcome.net <= out.net or outcome.lead != out.lead:
            return out
        self.load[key] += outcome.volume - out.volume
        for o in lot.members:
            self._release(o, lot.category_id, out.forming)
        for o in other.members:
            self._take(o, lot.category_id, out.forming)
        return outcome

    def _free_near(self, out: LotOutcome, offer: Offer, members: list[int]) -> set[int]:
        """The free bodies that may join the lot and touch one of `members` (any free
        body without a graph)."""
        pairs = self.pairs(out.lot.category_id)
        names, region, at = pairs.names, pairs.region, pairs.at
        if self.inst.neighbours is None:
            near: set[int] = set(range(len(names)))
        else:
            near = {
                at[k] for i in members for k in self.inst.neighbours.get(names[i], ()) if k in at
            }
        return {i for i in near if self.eligible(out, offer, names[i], region[i])}

    def _exchanged(
        self,
        out: LotOutcome,
        offer: Offer,
        members: list[int],
        m: int,
        f: int,
        saving: float,
    ) -> tuple[float, float] | None:
        """(volume, saving per period) of the lot with f in m's place, or None when
        that saves no more or breaks capacity, rationality or connectivity."""
        pairs = self.pairs(out.lot.category_id)
        size, baseline = pairs.size, pairs.baseline
        surcharge = self.surcharge(offer)
        key = (offer.supplier_id, offer.category_id)
        after = [f if i == m else i for i in members]
        volume = float(size[after].sum())
        if not within(self.load[key] - out.volume + volume, offer.capacity):
            return None
        cost, below = tier_costs(offer, np.array([volume]))
        if below[0]:
            return None
        gain = float((size[after] * (baseline[after] - surcharge[after])).sum())
        if gain - float(cost[0]) <= saving * (1 + 1e-12):
            return None
        price = float(cost[0]) / volume
        limit = baseline[after] + REL_TOL * np.maximum(1.0, np.abs(baseline[after]))
        if (
            self.inst.settings.individually_rational
            and not (price + surcharge[after] <= limit).all()
        ):
            return None  # spec.within, for every member at once
        if not is_connected([pairs.names[i] for i in after], self.inst.neighbours):
            return None
        return volume, gain - float(cost[0])

    def _release(self, o: str, cat_id: str, forming: Iterable[int]) -> None:
        self.used.discard((o, cat_id))
        if o in self.own_limit:
            self.own_forming.subtract((o, p) for p in forming)

    def _take(self, o: str, cat_id: str, forming: Iterable[int]) -> None:
        self.used.add((o, cat_id))
        if o in self.own_limit:
            self.own_forming.update((o, p) for p in forming)
