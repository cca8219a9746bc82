"""Plans and their assessment under the rules of spec sections 4-5 and 9-12.

A :class:`Lot` is what a plan decides (category, members, offer, formation start);
:func:`assess_plan` derives everything else — volume, price, lead time, live period,
savings, the timeline — and lists every broken rule. Nothing here knows a model.

The empty plan is not always feasible: ``join`` and ``together`` locks (spec
section 12) ask for lots, and an instance may have no feasible plan at all
(section 13). :func:`assess_plan` judges the empty plan like any other.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from consortia.data.instance import Instance
from consortia.rules.connectivity import is_connected
from consortia.rules.locks import broken_locks
from consortia.rules.spec import Member, lot_terms, price_members, within
from consortia.rules.suppliers import supplier_breaches


@dataclass(frozen=True, order=True)
class Lot:
    category_id: str
    supplier_id: str
    members: tuple[str, ...]
    start: int


@dataclass(frozen=True)
class LotOutcome:
    """Every number of a lot, derived from the spec."""

    lot: Lot
    volume: float
    cost: float
    lead: int
    live: int
    member_price: dict[str, float]  # u(o), surcharge included
    member_saving: dict[str, float]  # d(o,c) * (b(o,c) - u(o)) per period
    weight: float  # M(live)
    one_off: float  # fixed cost + coordination costs

    @property
    def unit_price(self) -> float:
        return self.cost / self.volume

    @property
    def savings_per_period(self) -> float:
        return math.fsum(self.member_saving.values())

    @property
    def net(self) -> float:
        return self.weight * self.savings_per_period - self.one_off

    @property
    def forming(self) -> range:
        return range(self.lot.start, self.lot.start + self.lead)


def total_net(outcomes: Iterable[LotOutcome]) -> float:
    """Net savings of a plan: the sum of its lots' net savings (spec section 5)."""
    return math.fsum(o.net for o in outcomes)


@dataclass
class Assessment:
    outcomes: list[LotOutcome]
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def objective(self) -> float:
        return total_net(self.outcomes)


def member_terms(
    inst: Instance, category_id: str, supplier_id: str, members: Iterable[str]
) -> list[Member]:
    """(demand, baseline, surcharge) of each member of a lot on this offer, in order."""
    demand_of, surcharge = inst.demand_of, inst.surcharge
    return [
        (*demand_of[(o, category_id)], surcharge.get((o, supplier_id, category_id), 0.0))
        for o in members
    ]


def price_lot(inst: Instance, lot: Lot) -> tuple[LotOutcome | None, list[str]]:
    """Price one lot and list the rules (1-5, 7, 9 and the horizon) it breaks alone."""
    name = f"lot {lot.category_id}/{lot.supplier_id} {{{', '.join(lot.members)}}}"
    problems: list[str] = []
    cat = inst.category.get(lot.category_id)
    offer = inst.offer.get((lot.supplier_id, lot.category_id))
    if cat is None or offer is None:
        return None, [f"{name}: unknown category or offer"]
    if not lot.members:
        return None, [f"{name}: has no members"]
    if len(set(lot.members)) != len(lot.members):
        problems.append(f"{name}: lists a member twice")
    missing = [o for o in lot.members if (o, lot.category_id) not in inst.demand_of]
    if missing:
        return None, [f"{name}: {', '.join(missing)} has no demand in {lot.category_id}"]
    n = len(lot.members)
    if n < cat.min_members or (cat.max_members is not None and n > cat.max_members):
        problems.append(f"{name}: {n} members outside [{cat.min_members}, {cat.max_members}]")
    unique = list(dict.fromkeys(lot.members))
    members = member_terms(inst, lot.category_id, lot.supplier_id, unique)
    volume = math.fsum(d for d, _, _ in members)
    value = price_members(lot_terms(cat, offer, n, volume, lot.start), members)
    terms = value.terms
    latest_ready = max(inst.pair_ready[(o, lot.category_id)] for o in lot.members)
    if lot.start < latest_ready:
        problems.append(f"{name}: starts in {lot.start} before a member is ready ({latest_ready})")
    if lot.start < 1:
        problems.append(f"{name}: starts before period 1")
    if terms.live > inst.settings.horizon:
        problems.append(f"{name}: goes live in {terms.live}, after the horizon")
    unserved = [o for o in lot.members if not offer.serves(inst.region[o])]
    if unserved:
        problems.append(f"{name}: offer does not serve the region of {', '.join(unserved)}")
    if terms.below_first_tier:
        problems.append(f"{name}: volume {volume:g} is below the first tier {offer.tiers[0][0]:g}")
    if inst.neighbours is not None and n > 1 and not is_connected(lot.members, inst.neighbours):
        problems.append(f"{name}: members are not connected in the collaboration graph")
    if inst.settings.individually_rational and value.irrational:
        irrational = {unique[i] for i in value.irrational}
        worse = [o for o in lot.members if o in irrational]
        problems.append(f"{name}: {', '.join(worse)} would pay more than its baseline")
    outcome = LotOutcome(
        lot=lot,
        volume=volume,
        cost=terms.cost,
        lead=terms.lead,
        live=terms.live,
        member_price=dict(zip(unique, value.prices, strict=True)),
        member_saving=dict(zip(unique, value.savings, strict=True)),
        weight=inst.live_weight(terms.live),
        one_off=terms.one_off,
    )
    return outcome, problems


def assess_plan(inst: Instance, lots: list[Lot]) -> Assessment:
    """Price every lot and check the rules that span lots: 1, 6, 8 and 8b (spec
    section 10), the supplier rules (section 11: ``max_suppliers``, ``max_share``)
    and the locks (section 12, each named by its row). Any list of lots is judged,
    the empty one included (infeasible under a ``join`` or ``together`` lock)."""
    outcomes: list[LotOutcome] = []
    violations: list[str] = []
    for lot in lots:
        outcome, problems = price_lot(inst, lot)
        violations += problems
        if outcome is not None:
            outcomes.append(outcome)
    pairs = Counter((o, lot.category_id) for lot in lots for o in set(lot.members))
    violations += [f"{o} is in {k} lots of {c}" for (o, c), k in pairs.items() if k > 1]
    used: defaultdict[tuple[str, str], float] = defaultdict(float)
    for out in outcomes:
        used[(out.lot.supplier_id, out.lot.category_id)] += out.volume
    for key, volume in used.items():
        cap = inst.offer[key].capacity
        if not within(volume, cap):
            violations.append(f"offer {key[0]}/{key[1]} carries {volume:g}, over capacity {cap:g}")
    limit = inst.settings.max_parallel_formations
    if limit is not None:
        forming = Counter(p for out in outcomes for p in out.forming)
        violations += [
            f"{k} lots are forming in period {p}, more than {limit}"
            for p, k in sorted(forming.items())
            if k > limit
        ]
    violations += _own_formation_limits(inst, outcomes)
    awards = [(o.lot.category_id, o.lot.supplier_id, o.volume) for o in outcomes]
    violations += supplier_breaches(inst, awards)
    violations += broken_locks(inst, lots)
    return Assessment(outcomes, violations)


def _own_formation_limits(inst: Instance, outcomes: list[LotOutcome]) -> list[str]:
    """Rule 8b (spec section 10): each organization o is a member of at most k(o)
    lots forming in any one period."""
    capacity = inst.org_capacity
    if not capacity:
        return []
    forming: Counter[tuple[str, int]] = Counter(
        (o, p)
        for out in outcomes
        for o in set(out.lot.members)
        if o in capacity
        for p in out.forming
    )
    return [
        f"{o} helps form {k} lots in period {p}, more than its limit {capacity[o]}"
        for (o, p), k in sorted(forming.items())
        if k > capacity[o]
    ]


def timeline(inst: Instance, outcomes: list[LotOutcome]) -> list[dict[str, float]]:
    """Per period: lots forming, lots live, savings (undiscounted) and their running sum."""
    rows = []
    total = 0.0
    for p in range(1, inst.settings.horizon + 1):
        live = [o for o in outcomes if o.live <= p]
        savings = math.fsum(o.savings_per_period for o in live)
        total += savings
        rows.append(
            {
                "period": p,
                "forming_lots": sum(1 for o in outcomes if p in o.forming),
                "live_lots": len(live),
                "savings": savings,
                "cumulative_savings": total,
            }
        )
    return rows


def target_period(inst: Instance, outcomes: list[LotOutcome]) -> int | None:
    """First period whose cumulative savings reach the savings target (None if never)."""
    target = inst.settings.savings_target
    if target is None:
        return None
    for row in timeline(inst, outcomes):
        if row["cumulative_savings"] >= target - 1e-9 * max(1.0, target):
            return int(row["period"])
    return None
