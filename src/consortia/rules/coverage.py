"""How much demand a plan pools, and why each organization-category pair it leaves
out is left out.

Every demand pair (o, c) in no lot gets the first reason that holds, tested in this order:

1. ``no offer serves its region`` — no offer of c serves region(o) (rule 4).
2. ``not ready in time`` — on every offer that serves it, even the earliest lot (formation
   starting when o is ready, with the fewest members the category allows) goes live after
   the horizon (rule 3).
3. ``price above baseline at every reachable tier`` — on every such offer, even the lowest
   unit price any lot containing o could reach (the tier of the largest volume the offer
   could pool: all the demand it serves, within its capacity and the member limit), plus
   o's surcharge, is above o's baseline (rule 9; without it, o would save nothing at any
   price); an offer whose first tier is out of reach, or whose capacity is below o's own
   demand, reaches no tier at all.
4. ``too small to pay its coordination cost`` — even at that best price and from that
   earliest live period, o's own savings would not exceed the coordination cost it brings.
5. ``left out for lack of formation capacity or a better use of it`` — none of the above.
   Then o is tried in each lot of the plan in c (same offer, the start moved to o's ready
   period if later) and alone on each offer, under every rule of a lot, the offer's
   capacity given the plan's other lots, and without the formation limit; the detail
   says which of these would raise the plan's value and whether it needs another
   formation slot, or that every one would lower it.
6. ``could join within every rule`` — as 5, but some such change raises the plan's value
   without breaking the formation limit either: the search stopped before finding it
   (only a plan that is not optimal has such pairs).

Reasons 1-4 are proofs about the pair (they hold for every plan); 5 and 6 are about this
plan. The best price of 3 and 4 rests on the unit price cost(V)/V never rising with the
volume V (true of both discount kinds, spec section 3).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from consortia.data.instance import Instance, Offer
from consortia.rules.plan import Lot, LotOutcome, member_terms, total_net
from consortia.rules.spec import (
    REL_TOL,
    Member,
    lead_time,
    live_weights,
    lot_terms,
    price_members,
    tier_costs,
    within,
)

NO_OFFER = "no offer serves its region"
NOT_IN_TIME = "not ready in time"
ABOVE_BASELINE = "price above baseline at every reachable tier"
TOO_SMALL = "too small to pay its coordination cost"
LEFT_OUT = "left out for lack of formation capacity or a better use of it"
MISSED = "could join within every rule"
REASONS = (NO_OFFER, NOT_IN_TIME, ABOVE_BASELINE, TOO_SMALL, LEFT_OUT, MISSED)

UNCOVERED_COLUMNS = ["org_id", "category_id", "quantity", "baseline_spend", "reason", "detail"]


@dataclass(frozen=True)
class Uncovered:
    """A demand pair in no lot, and why."""

    org_id: str
    category_id: str
    quantity: float
    baseline_spend: float  # d(o,c) * b(o,c) per period
    reason: str
    detail: str

    def as_row(self) -> dict[str, object]:
        return {c: getattr(self, c) for c in UNCOVERED_COLUMNS}


@dataclass(frozen=True)
class Coverage:
    pairs: int
    pooled: int
    volume: float
    pooled_volume: float
    spend: float  # sum of d * b per period over every demand pair
    pooled_spend: float
    uncovered: list[Uncovered] = field(default_factory=list)

    @property
    def volume_share(self) -> float:
        return self.pooled_volume / self.volume if self.volume > 0 else 0.0

    @property
    def spend_share(self) -> float:
        return self.pooled_spend / self.spend if self.spend > 0 else 0.0

    def counts(self) -> dict[str, int]:
        """Left-out pairs per reason, in the order of REASONS, reasons that occur only."""
        seen = Counter(u.reason for u in self.uncovered)
        return {r: seen[r] for r in REASONS if seen[r]}

    def as_dict(self) -> dict[str, object]:
        """The figures under the keys summary.json gives them."""
        return {
            "demand_pairs": self.pairs,
            "demand_pairs_pooled": self.pooled,
            "pooled_volume_share": self.volume_share,
            "pooled_spend_share": self.spend_share,
            "left_out_reasons": self.counts(),
        }


def coverage(
    inst: Instance, outcomes: Sequence[LotOutcome], names: Sequence[str] | None = None
) -> Coverage:
    """Pooled shares of a plan and the reason of every demand pair it leaves out, in
    the order of the demand table. `names` are the lots' names in the order of
    `outcomes` (default "lot 1", "lot 2", ...)."""
    lots = list(outcomes)
    labels = list(names) if names is not None else [f"lot {i + 1}" for i in range(len(lots))]
    pooled = {(o, out.lot.category_id) for out in lots for o in out.lot.members}
    demand = inst.demand_of
    left: defaultdict[str, list[str]] = defaultdict(list)
    for o, c in demand:
        if (o, c) not in pooled:
            left[c].append(o)
    found: dict[tuple[str, str], Uncovered] = {}
    if left:
        plan = _Plan(inst, lots, labels)
        by_region, surcharges = _demand_by_region(inst), _surcharges_by_offer(inst)
        for c, orgs in left.items():
            view = _CategoryView(inst, plan, c, orgs, by_region[c], surcharges)
            for j, o in enumerate(orgs):
                d, b = demand[(o, c)]
                found[(o, c)] = Uncovered(o, c, d, d * b, *view.reason(j))
    return Coverage(
        pairs=len(demand),
        pooled=len(pooled),
        volume=math.fsum(d for d, _ in demand.values()),
        pooled_volume=math.fsum(demand[p][0] for p in pooled),
        spend=math.fsum(d * b for d, b in demand.values()),
        pooled_spend=math.fsum(demand[p][0] * demand[p][1] for p in pooled),
        uncovered=[found[p] for p in demand if p in found],
    )


def offer_barriers(inst: Instance, category_id: str) -> dict[tuple[str, str], str]:
    """Why no lot on an offer of the category can hold an organization, for every
    (org, supplier) pair of the category that has such a reason: reasons 1-3 of the
    module's list taken offer by offer (the offer does not serve its region; its
    earliest lot would go live after the horizon; its capacity is below the pair's
    demand; it can pool no volume that reaches its first tier; with
    ``individually_rational``, its lowest reachable price is above the baseline).
    Each holds for every plan. Offers missing for a pair may hold it."""
    orgs = [o for o in inst.org_ids if (o, category_id) in inst.demand_of]
    if not orgs or not inst.offers_in.get(category_id):
        return {}
    view = _CategoryView(
        inst,
        _Plan(inst, [], []),
        category_id,
        orgs,
        _demand_by_region(inst)[category_id],
        _surcharges_by_offer(inst),
    )
    found = {}
    for j, o in enumerate(orgs):
        for k, offer in enumerate(view.offers):
            why = view.barrier(j, k)
            if why is not None:
                found[(o, offer.supplier_id)] = why
    return found


def _demand_by_region(inst: Instance) -> defaultdict[str, defaultdict[str, list[float]]]:
    """category -> region -> the demands of the pairs there."""
    by_region: defaultdict[str, defaultdict[str, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (o, c), (d, _) in inst.demand_of.items():
        by_region[c][inst.region[o]].append(d)
    return by_region


def _surcharges_by_offer(inst: Instance) -> defaultdict[tuple[str, str], dict[str, float]]:
    """(supplier, category) -> org -> unit surcharge."""
    surcharges: defaultdict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for (o, s, c), h in inst.surcharge.items():
        surcharges[(s, c)][o] = h
    return surcharges


def binding_periods(inst: Instance, outcomes: Sequence[LotOutcome]) -> list[int]:
    """The periods in which the plan forms as many lots as the formation limit allows
    (none without a limit)."""
    limit = inst.settings.max_parallel_formations
    if limit is None:
        return []
    forming = Counter(p for out in outcomes for p in out.forming)
    return sorted(p for p, k in forming.items() if k >= limit)


def _within(value: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """``rules.spec.within`` of many values at once."""
    return np.asarray(value <= limit + REL_TOL * np.maximum(1.0, np.abs(limit)))


class _Plan:
    """The plan as the tests of a left-out pair need it: lots by category, offer loads,
    lots forming per period."""

    def __init__(self, inst: Instance, lots: list[LotOutcome], labels: list[str]) -> None:
        self.inst = inst
        self.lots = lots
        self.labels = labels
        self.by_category: defaultdict[str, list[int]] = defaultdict(list)
        self.load: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.forming: Counter[int] = Counter()
        for i, out in enumerate(lots):
            self.by_category[out.lot.category_id].append(i)
            self.load[(out.lot.supplier_id, out.lot.category_id)] += out.volume
            self.forming.update(out.forming)
        # lots each limited organization helps form, per period (rule 8b)
        self.own_limit = inst.binding_org_capacity
        self.own_forming: Counter[tuple[str, int]] = Counter(
            (o, p)
            for out in lots
            for o in out.lot.members
            if o in self.own_limit
            for p in out.forming
        )
        self.limit = inst.settings.max_parallel_formations
        self.objective = total_net(lots)
        self._aggregate: dict[int, Member] = {}
        self._members: dict[int, frozenset[str]] = {}
        self._fitting: dict[int, np.ndarray] = {}

    def aggregate(self, i: int) -> Member:
        """Lot i's members as one member of the same volume and the same savings at any
        price (d = V, b = sum d (b - h) / V, h = 0)."""
        found = self._aggregate.get(i)
        if found is None:
            out = self.lots[i]
            terms = member_terms(
                self.inst, out.lot.category_id, out.lot.supplier_id, out.lot.members
            )
            worth = math.fsum(d * (b - h) for d, b, h in terms)
            found = self._aggregate[i] = (out.volume, worth / out.volume, 0.0)
        return found

    def members(self, i: int) -> frozenset[str]:
        found = self._members.get(i)
        if found is None:
            found = self._members[i] = frozenset(self.lots[i].lot.members)
        return found

    def fits(self, periods: range, freed: range) -> bool:
        """Whether a lot forming in `periods`, in place of one forming in `freed`, keeps
        every period within the formation limit (rule 8)."""
        if self.limit is None:
            return True
        return all(self.forming[p] - (p in freed) + 1 <= self.limit for p in periods)

    def fitting_start(self, lead: int) -> np.ndarray:
        """For each period t (index 0 .. horizon + 1), the first start from t on at which
        one more lot of this lead time fits the formation limit (horizon + 1: none)."""
        found = self._fitting.get(lead)
        if found is None:
            horizon = self.inst.settings.horizon
            found = np.full(horizon + 2, horizon + 1, dtype=np.int64)
            for t in range(horizon, 0, -1):
                fits = self.fits(range(t, t + lead), range(0))
                found[t] = t if fits else found[t + 1]
            found[0] = found[1]
            self._fitting[lead] = found
        return found


# A lot's value and forming periods if it started in a period (None: no valid lot).
Valuation = Callable[[int], tuple[float, range] | None]


@dataclass(frozen=True)
class _Option:
    what: str  # "join L002", "form a lot of its own on S1"
    gain: float  # the change of the plan's value at the earliest start, formation limit ignored
    start: int  # that earliest start
    fitting: float | None  # the change at the earliest start within the formation limit
    fitting_start: int | None  # that start
    replaces: int | None = None  # the plan's lot it changes (None: a new lot)
    lot_at: Callable[[int], Lot] | None = None  # the changed or new lot, by its start


class _CategoryView:
    """The left-out pairs of one category against its offers, as arrays (offer x pair):
    the earliest lot at the largest volume each offer could pool (all the demand it
    serves, at most `max_members` of it, within its capacity), for reasons 2-4, and the
    pair alone on each offer, for reason 5."""

    def __init__(
        self,
        inst: Instance,
        plan: _Plan,
        category_id: str,
        orgs: list[str],
        by_region: dict[str, list[float]],
        surcharges: dict[tuple[str, str], dict[str, float]],
    ) -> None:
        self.inst, self.plan, self.c, self.orgs = inst, plan, category_id, orgs
        cat = self.cat = inst.category[category_id]
        self.offers = offers = sorted(
            inst.offers_in.get(category_id, []), key=lambda f: f.supplier_id
        )
        self.smallest = max(1, cat.min_members)  # the fewest members of a lot
        horizon = self.horizon = inst.settings.horizon
        weights = live_weights(inst)

        def weight(live: np.ndarray) -> np.ndarray:
            return np.asarray(weights[np.minimum(live, horizon + 1)])

        index = {o: j for j, o in enumerate(orgs)}
        self.d = d = np.array([inst.demand_of[(o, category_id)][0] for o in orgs])
        self.b = b = np.array([inst.demand_of[(o, category_id)][1] for o in orgs])
        self.ready = ready = np.array(
            [inst.pair_ready[(o, category_id)] for o in orgs], dtype=np.int64
        )
        self._lots: dict[str, list[int]] = {}
        self._positions: dict[str, dict[int, int]] = {}  # region -> lot -> its place there
        self._members_of: dict[str, list[int]] | None = None
        if not offers:  # reason 1 for every pair
            self.code = np.zeros(len(orgs), dtype=np.int64)
            return
        regions = sorted({inst.region[o] for o in orgs})
        position = {r: i for i, r in enumerate(regions)}
        region_of = np.array([position[inst.region[o]] for o in orgs], dtype=np.int64)
        shape = (len(offers), len(orgs))
        serves = np.array([[f.serves(r) for r in regions] for f in offers], dtype=bool)
        self.serves = serves.reshape(len(offers), len(regions))[:, region_of]
        self.h = h = np.zeros(shape)
        for k, f in enumerate(offers):
            for o, value in surcharges.get(f.key, {}).items():
                if o in index:
                    h[k, index[o]] = value
        avail = np.array([[f.available_from] for f in offers], dtype=np.int64)
        capacity = np.array([[f.capacity] for f in offers])
        # reasons 2-4: the earliest lot at each offer's largest volume
        best = [lot_terms(cat, f, self.smallest, self._volume(f, by_region), 1) for f in offers]
        lead = np.array([[t.lead] for t in best], dtype=np.int64)
        self.live = np.maximum(ready[None, :] + lead, avail)
        self.timely = self.serves & (self.live <= horizon)
        self.too_big = ~_within(d[None, :], capacity)
        self.pool = [t.volume for t in best]
        self.out_of_tier = out_of_tier = np.array([[t.below_first_tier] for t in best], dtype=bool)
        self.reach = self.timely & ~self.too_big & ~out_of_tier
        unit = np.array([[t.cost / t.volume if t.volume > 0 else math.inf] for t in best])
        self.price = unit + h
        self.rational = self.reach & _within(self.price, b[None, :])
        with np.errstate(invalid="ignore"):  # inf * 0 where an offer pools nothing
            own = weight(self.live) * d * (b - self.price)
        self.own = np.where(self.rational, own, -math.inf)
        # reason 5: the pair alone on each offer, from its ready period or the first
        # start at which one more formation fits
        lead1 = lead_time(cat, 1)
        costs = [tier_costs(f, d) for f in offers]
        cost1 = np.array([c for c, _ in costs]).reshape(shape)
        below1 = np.array([below for _, below in costs], dtype=bool).reshape(shape)
        price1 = cost1 / d[None, :] + h
        load = np.array([[plan.load[f.key]] for f in offers])
        ok = self.serves & ~below1 & _within(load + d[None, :], capacity)
        if inst.settings.individually_rational:
            ok &= _within(price1, b[None, :])
        if self.smallest > 1:
            ok[:] = False
        one_off = np.array([[lot_terms(cat, f, 1, 1.0, 1).one_off] for f in offers])
        saving1 = d * (b - price1)

        def alone(start: np.ndarray) -> np.ndarray:
            live = np.maximum(start[None, :] + lead1, avail)
            return np.where(ok & (live <= horizon), weight(live) * saving1 - one_off, np.nan)

        # per pair, the best offer alone from its ready period, and within the limit
        early = alone(ready)
        self.fitting_start = plan.fitting_start(lead1)[np.minimum(ready, horizon + 1)]
        fitting = alone(self.fitting_start)
        self.alone_any = ~np.isnan(early).all(axis=0)
        self.alone_early = np.where(np.isnan(early), -math.inf, early)
        self.alone_fitting = np.where(np.isnan(fitting), -math.inf, fitting)
        # the first reason of the list that holds, per pair (4: none of 0-3)
        own = self.own.max(axis=0, initial=-math.inf)
        cost = cat.coordination_cost
        self.code = np.select(
            [
                ~self.serves.any(axis=0),
                ~self.timely.any(axis=0),
                ~self.rational.any(axis=0),
                own <= cost + REL_TOL * max(1.0, cost),
            ],
            [0, 1, 2, 3],
            4,
        )

    def _volume(self, offer: Offer, by_region: dict[str, list[float]]) -> float:
        """The largest volume the offer could pool in the category."""
        served = [sorted(ds, reverse=True) for r, ds in by_region.items() if offer.serves(r)]
        limit = self.cat.max_members
        if limit is None:
            total = math.fsum(d for ds in served for d in ds)
        else:
            total = math.fsum(itertools.islice(heapq.merge(*served, reverse=True), limit))
        return min(offer.capacity, total)

    def reason(self, j: int) -> tuple[str, str]:
        """The first reason of the module's list that holds for the j-th pair."""
        o, c = self.orgs[j], self.c
        offers = self.offers
        code = int(self.code[j])
        if code == 0:
            if not offers:
                return NO_OFFER, f"category {c} has no offers"
            region = self.inst.region[o]
            where = f"region '{region}'" if region else "an empty region"
            return NO_OFFER, f"none of the {len(offers)} offer(s) of {c} serves {where}"
        if code == 1:
            late = np.where(self.serves[:, j], self.live[:, j], np.iinfo(np.int64).max)
            k = int(np.argmin(late))
            return NOT_IN_TIME, (
                f"ready in period {self.ready[j]}: the earliest lot would go live in period "
                f"{self.live[k, j]} (on {offers[k].supplier_id}), after the horizon {self.horizon}"
            )
        if code == 2:
            if self.reach[:, j].any():
                k = int(np.argmin(np.where(self.reach[:, j], self.price[:, j], math.inf)))
                return ABOVE_BASELINE, (
                    f"its lowest reachable price, {self.price[k, j]:,.2f} on "
                    f"{offers[k].supplier_id} (surcharge included), is above its baseline "
                    f"{self.b[j]:,.2f}"
                )
            why = []
            for q in np.flatnonzero(self.timely[:, j]).tolist():
                f = offers[q]
                if self.too_big[q, j]:
                    why.append(f"{f.supplier_id}'s capacity {f.capacity:g} is below its demand")
                else:
                    why.append(
                        f"{f.supplier_id} can pool at most {self.pool[q]:g}, below its "
                        f"first tier {f.tiers[0][0]:g}"
                    )
            return ABOVE_BASELINE, "no tier is within reach: " + "; ".join(why[:3])
        if code == 3:
            k = int(np.argmax(self.own[:, j]))
            return TOO_SMALL, (
                f"even at {self.price[k, j]:,.2f} on {offers[k].supplier_id} from period "
                f"{self.live[k, j]}, its savings to the horizon would be at most "
                f"{self.own[k, j]:,.2f}, against a coordination cost of "
                f"{self.cat.coordination_cost:,.2f}"
            )
        return self._join(j)

    def barrier(self, j: int, k: int) -> str | None:
        """Why no lot on the k-th offer can hold the j-th pair (reasons 1-3 of the
        module's list, on this offer alone), or None."""
        offer, o = self.offers[k], self.orgs[j]
        s = offer.supplier_id
        if not self.serves[k, j]:
            region = self.inst.region[o]
            where = f"region '{region}'" if region else "an empty region"
            return f"{s} does not serve {where} (rule 4)"
        if not self.timely[k, j]:
            return (
                f"ready in period {self.ready[j]}, its earliest lot on {s} would go live in "
                f"period {self.live[k, j]}, after the horizon {self.horizon} (rule 3)"
            )
        if self.too_big[k, j]:
            return f"{s}'s capacity {offer.capacity:g} is below its demand {self.d[j]:g} (rule 6)"
        if self.out_of_tier[k, 0]:
            return (
                f"{s} can pool at most {self.pool[k]:g}, below its first tier "
                f"{offer.tiers[0][0]:g} (rule 5)"
            )
        if self.inst.settings.individually_rational and not self.rational[k, j]:
            return (
                f"its lowest price on {s}, {self.price[k, j]:,.2f} (surcharge included), is "
                f"above its baseline {self.b[j]:,.2f} (rule 9)"
            )
        return None

    def _fits_own_limits(self, option: _Option) -> bool:
        """Whether the change also keeps every organization within its own formation
        limit (rule 8b): each limited member of the changed or new lot, counted in
        the plan's other lots forming in each of its forming periods, stays below its
        limit. True without such limits."""
        inst, plan = self.inst, self.plan
        if not plan.own_limit or option.lot_at is None:
            return True
        if option.fitting_start is None:
            return False
        lot = option.lot_at(option.fitting_start)
        lead = lead_time(inst.category[lot.category_id], len(lot.members))
        old = plan.lots[option.replaces] if option.replaces is not None else None
        for o in lot.members:
            limit = plan.own_limit.get(o)
            if limit is None:
                continue
            for p in range(lot.start, lot.start + lead):
                mine = old is not None and o in old.lot.members and p in old.forming
                if plan.own_forming[(o, p)] - mine + 1 > limit:
                    return False
        return True

    def _serving_lots(self, region: str) -> list[int]:
        """The plan's lots of the category whose offer serves `region`."""
        found = self._lots.get(region)
        if found is None:
            plan, inst = self.plan, self.inst
            found = self._lots[region] = [
                i
                for i in plan.by_category.get(self.c, [])
                if inst.offer[(plan.lots[i].lot.supplier_id, self.c)].serves(region)
            ]
        return found

    def _lots_to_try(
        self, o: str, region: str, lots: list[int], refused: list[str]
    ) -> Iterator[int]:
        """The lots of `lots` (in their order) that `_join` must look at: with a
        collaboration graph only those holding a neighbour of `o` can take it, and the
        others matter only for the first three refusals it reports (at 44,000 bodies
        trying every lot of the category for every left-out pair took ~100 s)."""
        neighbours = self.inst.neighbours
        if neighbours is None:
            yield from lots
            return
        position = self._positions.get(region)
        if position is None:
            position = self._positions[region] = {i: k for k, i in enumerate(lots)}
        holding = self._holding()
        linked = sorted(
            {position[i] for n in neighbours[o] for i in holding.get(n, ()) if i in position}
        )
        shown = 0
        while shown < len(lots) and len(refused) < 3:
            yield lots[shown]
            shown += 1
        for k in linked:
            if k >= shown:
                yield lots[k]

    def _holding(self) -> dict[str, list[int]]:
        """Member -> the plan's lots of the category that hold it."""
        if self._members_of is None:
            found: defaultdict[str, list[int]] = defaultdict(list)
            for i in self.plan.by_category.get(self.c, []):
                for member in self.plan.lots[i].lot.members:
                    found[member].append(i)
            self._members_of = dict(found)
        return self._members_of

    def _join(self, j: int) -> tuple[str, str]:
        """Reason 5 or 6: the pair tried in each lot of its category and alone."""
        inst, plan, cat = self.inst, self.plan, self.cat
        o, c = self.orgs[j], self.c
        d, ready, region = float(self.d[j]), int(self.ready[j]), inst.region[o]
        options: list[_Option] = []
        refused: list[str] = []
        lots = self._serving_lots(region)
        if not lots:
            refused.append(f"no lot of {c} in the plan is on an offer serving its region")
        for i in self._lots_to_try(o, region, lots, refused):
            out, name = plan.lots[i], plan.labels[i]
            offer = inst.offer[(out.lot.supplier_id, c)]
            if cat.max_members is not None and len(out.lot.members) >= cat.max_members:
                refused.append(f"{name} has the most members {c} allows")
            elif inst.neighbours is not None and not inst.neighbours[o] & plan.members(i):
                refused.append(f"it has no collaboration link to {name}'s members")
            elif not within(plan.load[offer.key] + d, offer.capacity):
                refused.append(f"{name}'s offer has no capacity left")
            else:
                value_at = _joined(inst, plan, i, o)
                start = max(out.lot.start, ready)
                option = _option(plan, f"join {name}", value_at, start, out.net, out.forming)
                if option is not None:
                    option = replace(
                        option,
                        replaces=i,
                        lot_at=partial(_moved, out.lot, (*out.lot.members, o)),
                    )
                if option is None:
                    refused.append(f"in {name} it would pay above its baseline or go live too late")
                else:
                    options.append(option)
        if self.smallest > 1:
            refused.append(f"a lot of {c} needs at least {self.smallest} members")
        elif not self.alone_any[j]:
            refused.append("alone it misses a first tier, its baseline, the horizon or capacity")
        else:  # the best offer alone, and the best within the formation limit
            for k in {
                int(np.argmax(self.alone_early[:, j])),
                int(np.argmax(self.alone_fitting[:, j])),
            }:
                fit = float(self.alone_fitting[k, j])
                what = f"form a lot of its own on {self.offers[k].supplier_id}"
                early = float(self.alone_early[k, j])
                if fit > 0:
                    start = int(self.fitting_start[j])
                    alone = Lot(c, self.offers[k].supplier_id, (o,), 0)
                    lot_at = partial(_moved, alone, (o,))
                    options.append(_Option(what, early, ready, fit, start, None, lot_at))
                else:
                    options.append(_Option(what, early, ready, None, None))
        cur = inst.settings.currency
        tolerance = REL_TOL * max(1.0, abs(plan.objective))
        fits = [
            (opt.fitting, opt)
            for opt in options
            if (opt.fitting or 0.0) > tolerance and self._fits_own_limits(opt)
        ]
        if fits:
            gain, chosen = max(fits, key=lambda f: f[0] or 0.0)
            return MISSED, (
                f"would {chosen.what} within the formation limit (+{gain:,.2f} {cur}, "
                f"starting in period {chosen.fitting_start}): the search stopped before "
                "finding it"
            )
        if options:
            chosen = max(options, key=lambda opt: opt.gain)
            if chosen.gain > tolerance:
                return LEFT_OUT, (
                    f"would {chosen.what} given another formation slot (+{chosen.gain:,.2f} "
                    f"{cur}, starting in period {chosen.start})"
                )
            return LEFT_OUT, (
                "joining any lot or forming one alone would lower the plan's value (best: "
                f"{chosen.what}, {chosen.gain:+,.2f} {cur})"
            )
        return LEFT_OUT, "no lot can take it: " + "; ".join(refused[:3])


def _option(
    plan: _Plan, what: str, value_at: Valuation, earliest: int, before: float, freed: range
) -> _Option | None:
    """What changing a lot worth `before` and forming in `freed` to `value_at` does to
    the plan's value; None when it cannot start at `earliest`. Later starts are tried,
    while they gain, for one within the formation limit."""
    first = value_at(earliest)
    if first is None:
        return None
    fitting = None
    start = earliest
    found: tuple[float, range] | None = first
    while found is not None and found[0] > before:
        if plan.fits(found[1], freed):
            fitting = found[0] - before
            break
        start += 1
        found = value_at(start)
    return _Option(what, first[0] - before, earliest, fitting, None if fitting is None else start)


def _moved(lot: Lot, members: tuple[str, ...], start: int) -> Lot:
    return Lot(lot.category_id, lot.supplier_id, members, start)


def _joined(inst: Instance, plan: _Plan, i: int, o: str) -> Valuation:
    """Lot i with o added, by its start."""
    out = plan.lots[i]
    c = out.lot.category_id
    cat = inst.category[c]
    offer = inst.offer[(out.lot.supplier_id, c)]
    d, b = inst.demand_of[(o, c)]
    members = [plan.aggregate(i), (d, b, inst.surcharge.get((o, offer.supplier_id, c), 0.0))]
    size, volume = len(out.lot.members) + 1, out.volume + d

    def value_at(start: int) -> tuple[float, range] | None:
        terms = lot_terms(cat, offer, size, volume, start)
        if terms.live > inst.settings.horizon:
            return None
        value = price_members(terms, members)
        # the others pay no more than before: a larger volume never costs more per unit
        if inst.settings.individually_rational and 1 in value.irrational:
            return None
        return value.net(inst.live_weight(terms.live)), range(start, start + terms.lead)

    return value_at
