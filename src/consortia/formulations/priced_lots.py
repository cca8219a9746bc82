"""Lots suggested by the slot-priced relaxation (a Lagrangian heuristic).

At the formation prices ν (and own-limit prices μ) of ``slot_bound``, every
demand pair has a best option — an offer s, a lead level L (n_L its largest member
count) and a start σ — worth

    v_o = M(live) d_o (b_o - h_os - π_s(n_L)) - κ_c - C_L(σ) / n_L - (own charge of o),

the value the bound credits it. Pairs whose options agree can form a lot that the
bound would value about as it does, so lots are grown around them:

* seeds are the pairs in order of their ``v_o``; a seed's option (s, L, σ) fixes the
  lot's offer and start (with a graph the lot is grown at up to three later starts
  too, when more neighbours are ready, and the one worth most after the formation
  prices ν (and μ) it pays is kept);
* members join in order of their value under the seed's option (served by s, ready
  by σ, saving money at the reachable price), as long as that value is positive and
  at least ``admit`` times their own best (the rest are kept for their own
  options), up to n_L members;
* with a collaboration graph the lot grows along its edges from the seed, and a
  neighbour worth nothing itself may bridge to a neighbour that is worth its cost
  (a leaf that loses money is pruned again afterwards);
* members whose effective price at the lot's real volume breaks individual
  rationality are dropped.

Every lot is priced by the rules (``plan.price_lot``) and proposed with its net
savings; ``greedy.schedule_lots`` then fits the proposals to the formation limits,
capacity and locks. The heuristic proves nothing: the plan is checked like every
other plan and the bound comes from ``slot_bound`` alone.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd

from consortia.data.instance import Instance
from consortia.formulations.regional import _served, _surcharge_tables, _surcharges
from consortia.formulations.slot_bound import Charges, SlotPrices, _Category, _Options, _Relaxation
from consortia.rules.plan import Lot, LotOutcome, price_lot
from consortia.rules.spec import REL_TOL, tier_costs

# rounds of dropping members that the lot's real price leaves worse off
RATIONALITY_ROUNDS = 5
# periods after the seed's own start at which its lot is grown too (with a graph);
# the lot kept is the one worth most after the formation prices it pays
START_DELAYS: tuple[int, ...] = (0, 1, 2, 3)


def priced_lots(
    inst: Instance,
    found: SlotPrices,
    admit: float = 0.0,
    delays: tuple[int, ...] = START_DELAYS,
    shared: bool = True,
) -> list[tuple[float, Lot]]:
    """Proposed lots (start 0: not yet scheduled) with their net savings at the start
    they were grown for, best first. `delays`: the later starts tried (with a graph);
    `shared=False`: members join by their value before their share of the formation
    prices (larger lots; worse alone, a source of other lots for the MIP over the
    proposals)."""
    charges = found.relaxation.charges(found.prices)
    tables = _surcharge_tables(inst)
    proposals: list[tuple[float, Lot]] = []
    for cat in found.relaxation.categories:
        grower = _Grower(inst, found.relaxation, cat, charges, tables, delays, shared)
        proposals += grower.lots(admit)
    proposals.sort(key=lambda item: (-item[0], item[1]))
    return proposals


class _Grower:
    """One category's pairs, their values under any option, and the growth of lots."""

    def __init__(
        self,
        inst: Instance,
        relaxation: _Relaxation,
        cat: _Category,
        charges: Charges,
        tables: dict[tuple[str, str], pd.Series],
        delays: tuple[int, ...] = START_DELAYS,
        shared: bool = True,
    ) -> None:
        self.inst, self.relaxation, self.cat = inst, relaxation, cat
        self.delays, self.shared = delays, shared
        self.cum, self.tables = charges.formation, tables
        self.own = charges.own[cat.own] if relaxation.own_orgs else None
        self.unit = {k: float(charges.capacity[row]) for k, row in cat.rows.items()}
        self.best, self.start, self.option, self.offer = relaxation.choose(cat, charges)
        self.size = cat.frame["quantity"].to_numpy(float)
        self.baseline = cat.frame["baseline_price"].to_numpy(float)
        self.region = cat.frame["region"].astype(str)
        self._surcharge: dict[int, np.ndarray] = {}
        self._saving: dict[tuple[int, int], np.ndarray] = {}
        self.near: list[list[int]] | None = None
        if inst.neighbours is not None:
            at = {o: i for i, o in enumerate(cat.orgs)}
            self.near = [[at[k] for k in inst.neighbours.get(o, ()) if k in at] for o in cat.orgs]

    def surcharge(self, index: int) -> np.ndarray:
        if index not in self._surcharge:
            offer = self.cat.offers[index]
            self._surcharge[index] = _surcharges(
                self.tables, self.cat.category_id, offer, self.cat.frame["org_id"]
            )
        return self._surcharge[index]

    def saving(self, index: int, lead: int) -> np.ndarray:
        """d (b - h - π_s(n_L)) per pair for offer `index` at lead level `lead`;
        -inf where the offer does not serve the pair."""
        key = (index, lead)
        if key not in self._saving:
            offer = self.cat.offers[index]
            price = self.cat.price[key]
            served = _served(offer, self.region)
            gain = self.size * (self.baseline - self.surcharge(index) - price)
            self._saving[key] = np.where(served, gain, -math.inf)
        return self._saving[key]

    def values(
        self, index: int, lead: int, members: int, start: int, shared: bool = True
    ) -> np.ndarray:
        """Every pair's value under (offer, lead level, start): -inf where it cannot
        join (not served or not ready by the start); `shared`: less its share of the
        formation prices."""
        offer = self.cat.offers[index]
        live = max(start + lead, offer.available_from)
        value = self.relaxation.weights[live] * self.saving(index, lead) - self.cat.coordination
        if shared and index in self.unit:  # λ_s d_o on an offer whose capacity binds
            value = value - self.unit[index] * self.size
        if lead:
            if shared:
                value = value - (self.cum[start + lead - 1] - self.cum[start - 1]) / members
            if self.own is not None:
                value = value - (self.own[:, start + lead - 1] - self.own[:, start - 1])
        return np.where(self.cat.ready <= start, value, -math.inf)

    def lots(self, admit: float) -> list[tuple[float, Lot]]:
        free = np.ones(len(self.best), dtype=bool)
        out: list[tuple[float, Lot]] = []
        horizon = self.relaxation.horizon
        for seed in np.argsort(-self.best, kind="stable"):
            if self.best[seed] <= 0:
                break
            if not free[seed]:
                continue
            free[seed] = False
            opt = self.cat.options[self.option[seed]]
            best: tuple[float, LotOutcome, list[int]] | None = None
            for later in self._delays():
                start = int(self.start[seed]) + later
                if max(start + opt.lead, opt.available) > horizon:
                    break
                grown = self._grow(seed, opt, start, admit, free)
                if grown is not None and (best is None or grown[0] > best[0]):
                    best = grown
            if best is None:
                continue
            _, outcome, members = best
            free[members] = False
            lot = outcome.lot
            out.append((outcome.net, Lot(lot.category_id, lot.supplier_id, lot.members, 0)))
        return out

    def _delays(self) -> tuple[int, ...]:
        """Starts tried after the seed's own: with a graph, waiting lets more
        neighbours become ready (5,000 bodies: 24.0 G -> 24.7 G after filling)."""
        return self.delays if self.near is not None else (0,)

    def _grow(
        self, seed: int, opt: _Options, start: int, admit: float, free: np.ndarray
    ) -> tuple[float, LotOutcome, list[int]] | None:
        """The lot grown from `seed` under its option at `start` (members still
        `free`), priced: (its net savings less the formation prices it pays, its
        outcome, its members) or None when it saves nothing."""
        index = int(self.offer[seed])
        value = self.values(index, opt.lead, opt.members, start, self.shared)
        wanted = free & (value > 0) & (value >= admit * self.best)
        usable = free & np.isfinite(value)
        if self.near is None:
            chosen = self._best_others(seed, value, wanted, opt.members)
        else:
            chosen = self._connected(seed, value, wanted, usable, free, opt.members)
        members = self._rational([seed, *chosen], index)
        if not members:
            return None
        lot = Lot(
            self.cat.category_id,
            self.cat.offers[index].supplier_id,
            tuple(self.cat.orgs[i] for i in members),
            start,
        )
        outcome, problems = price_lot(self.inst, lot)
        if outcome is None or problems or outcome.net <= 0:
            return None
        charge = self.unit.get(index, 0.0) * float(self.size[members].sum())
        if outcome.lead:
            last = start + outcome.lead - 1
            charge += float(self.cum[last] - self.cum[start - 1])
            if self.own is not None:
                charge += float((self.own[members, last] - self.own[members, start - 1]).sum())
        return outcome.net - charge, outcome, members

    @staticmethod
    def _best_others(seed: int, value: np.ndarray, wanted: np.ndarray, most: int) -> list[int]:
        others = np.flatnonzero(wanted)
        others = others[others != seed]
        if len(others) > most - 1:
            top = np.argpartition(-value[others], most - 2)[: most - 1]
            others = others[top]
        return others[np.argsort(-value[others], kind="stable")].tolist()

    def _connected(
        self,
        seed: int,
        value: np.ndarray,
        wanted: np.ndarray,
        usable: np.ndarray,
        free: np.ndarray,
        most: int,
    ) -> list[int]:
        """Members grown from the seed along the graph, best value first; a usable
        neighbour worth nothing enters when it leads to a wanted one worth more than
        it costs. Leaves that lose money are pruned."""
        near = self.near
        assert near is not None
        taken = {seed}
        heap: list[tuple[float, int]] = []

        def reach(i: int) -> None:
            for j in near[i]:
                if j in taken or not free[j] or not usable[j]:
                    continue
                if wanted[j]:
                    heapq.heappush(heap, (-value[j], j))
                    continue
                ahead = max(
                    (value[k] for k in near[j] if wanted[k] and free[k] and k not in taken),
                    default=0.0,
                )
                if ahead > 0 and value[j] + ahead > 0:
                    heapq.heappush(heap, (-(value[j] + ahead), j))

        reach(seed)
        order = [seed]
        while heap and len(order) < most:
            _, j = heapq.heappop(heap)
            if j in taken:
                continue
            taken.add(j)
            order.append(j)
            reach(j)
        pruned = True
        while pruned and len(order) > 1:
            pruned = False
            for j in order[1:]:
                if value[j] > 0:
                    continue
                if sum(1 for k in near[j] if k in taken) <= 1:
                    order.remove(j)
                    taken.discard(j)
                    pruned = True
        return order[1:]

    def _rational(self, members: list[int], index: int) -> list[int]:
        """Drop members whose effective price at the lot's volume exceeds their
        baseline (spec rule 9), until none does (or a few rounds have passed)."""
        if not self.inst.settings.individually_rational:
            return members
        offer = self.cat.offers[index]
        h = self.surcharge(index)
        for _ in range(RATIONALITY_ROUNDS):
            if not members:
                return members
            volume = float(self.size[members].sum())
            cost, below = tier_costs(offer, np.array([volume]))
            if below[0]:
                return members
            price = float(cost[0]) / volume
            limit = self.baseline[members] + REL_TOL * np.maximum(1.0, self.baseline[members])
            keep = price + h[members] <= limit
            if keep.all():
                return members
            members = [m for m, k in zip(members, keep, strict=True) if k]
        return members
