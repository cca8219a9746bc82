"""A greedy plan: a fast, always-feasible starting point for the solver.

For every category and offer, lots are grown from the largest remaining
organization by adding collaborating neighbours while the lot's net savings rise;
the lots found are then accepted best first, each scheduled at the earliest start
that respects readiness, capacity and the parallel-formation limit. The plan is
priced and checked by :mod:`consortia.rules.plan`; anything infeasible is dropped.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from consortia.data.instance import Instance
from consortia.formulations.candidates import Candidates
from consortia.formulations.keep_rules import (
    honour_locks,
    supplier_allowed,
    within_shares,
    without_forbidden_members,
)
from consortia.rules.plan import Lot, LotOutcome, assess_plan, member_terms, price_lot
from consortia.rules.spec import REL_TOL, lead_time, live_weights, tier_costs, within


def greedy_plan(cands: Candidates, deadline: Callable[[], bool] | None = None) -> list[LotOutcome]:
    """A feasible plan built from the proposed lots, best first. `deadline()` True
    stops growing further lots (the plan is then built from those grown so far)."""
    return schedule_lots(cands.inst, proposed_lots(cands, deadline))


def proposed_lots(cands: Candidates, deadline: Callable[[], bool] | None = None) -> list[Lot]:
    """Lots grown per category and offer, best first (start 0: not yet scheduled)."""
    inst = cands.inst
    pools: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for o, s, c in cands.threshold:
        pools[(s, c)].append(o)
    proposals: list[tuple[float, Lot]] = []
    for cat_id in inst.category:
        for off in inst.offers_in[cat_id]:
            if deadline is not None and deadline():
                break
            pool = pools.get((off.supplier_id, cat_id), [])
            proposals += _grow_lots(inst, cat_id, off.supplier_id, pool, deadline)
    proposals.sort(key=lambda item: (-item[0], item[1]))
    return [lot for _, lot in proposals]


class _LotGrowth:
    """Values of a lot on one offer with one more member, for many candidates at once.

    The lot is summarised by its size n, volume V, S0 = sum d(b - h), the smallest
    rationality margin b - h (+ the spec's tolerance) and its latest readiness; a
    candidate's value is M(live) (S0' - cost(V')) - fixed - kappa n', -inf where a
    rule forbids it (member limit, capacity, first tier, rationality, horizon).
    Reported values are re-priced by ``rules.plan.price_lot`` when lots are scheduled.
    """

    def __init__(self, inst: Instance, cat_id: str, sup: str, members: list[str]):
        self.cat = inst.category[cat_id]
        self.off = inst.offer[(sup, cat_id)]
        terms = member_terms(inst, cat_id, sup, members)
        self.d = np.array([t[0] for t in terms], dtype=float)
        b = np.array([t[1] for t in terms], dtype=float)
        h = np.array([t[2] for t in terms], dtype=float)
        self.gain = self.d * (b - h)
        self.margin = b - h + REL_TOL * np.maximum(1.0, np.abs(b))
        self.ready = np.array([inst.pair_ready[(o, cat_id)] for o in members], dtype=np.int64)
        self.horizon = inst.settings.horizon
        self.weight = live_weights(inst)
        self.rational = inst.settings.individually_rational

    def values(
        self, n: int, volume: np.ndarray, gain: np.ndarray, margin: np.ndarray, start: np.ndarray
    ) -> np.ndarray:
        cat, off = self.cat, self.off
        if cat.max_members is not None and n > cat.max_members:
            return np.full(len(volume), -math.inf)
        cost, below = tier_costs(off, volume)
        lead = lead_time(cat, n)
        live = np.maximum(start + lead, off.available_from)
        ok = ~below & (volume <= off.capacity * (1 + 1e-9)) & (live <= self.horizon)
        if self.rational:
            ok &= cost / volume <= margin
        net = self.weight[np.minimum(live, self.horizon + 1)] * (gain - cost)
        net -= off.fixed_cost + cat.coordination_cost * n
        return np.where(ok, net, -math.inf)


def growth_value(inst: Instance, cat_id: str, sup: str, members: list[str]) -> float:
    """The value greedy growth gives a lot of these members started as early as
    they are ready (tests hold it equal to ``price_lot``)."""
    grow = _LotGrowth(inst, cat_id, sup, members)
    return float(
        grow.values(
            len(members),
            np.array([math.fsum(grow.d)]),
            np.array([math.fsum(grow.gain)]),
            np.array([grow.margin.min()]),
            np.array([grow.ready.max()]),
        )[0]
    )


def _grow_lots(
    inst: Instance,
    cat_id: str,
    sup: str,
    pool: list[str],
    deadline: Callable[[], bool] | None = None,
) -> list[tuple[float, Lot]]:
    """From the largest free organization, add the first free candidate (largest
    first; a collaborating neighbour where there is a graph) that raises the lot's
    net savings, until none does; then start again from the largest still free."""
    order = sorted(pool, key=lambda o: (-inst.demand_of[(o, cat_id)][0], inst.org_index[o]))
    if not order:
        return []
    at = {o: i for i, o in enumerate(order)}
    grow = _LotGrowth(inst, cat_id, sup, order)
    neighbours = inst.neighbours
    near = (
        None
        if neighbours is None
        else [np.array([at[k] for k in neighbours[o] if k in at], dtype=np.int64) for o in order]
    )
    free = np.ones(len(order), dtype=bool)
    out = []
    for seed in range(len(order)):
        if not free[seed]:
            continue
        if deadline is not None and deadline():
            break
        free[seed] = False
        members = [seed]
        volume, gain = grow.d[seed], grow.gain[seed]
        margin, start = grow.margin[seed], grow.ready[seed]
        best = float(
            grow.values(
                1, np.array([volume]), np.array([gain]), np.array([margin]), np.array([start])
            )[0]
        )
        adjacent = None
        if near is not None:
            adjacent = np.zeros(len(order), dtype=bool)
            adjacent[near[seed]] = True
        while True:
            eligible = free if adjacent is None else free & adjacent
            idx = np.flatnonzero(eligible)
            if not len(idx):
                break
            values = grow.values(
                len(members) + 1,
                volume + grow.d[idx],
                gain + grow.gain[idx],
                np.minimum(margin, grow.margin[idx]),
                np.maximum(start, grow.ready[idx]),
            )
            better = np.flatnonzero(values > best + 1e-9)
            if not len(better):
                break
            j = int(idx[better[0]])
            best = float(values[better[0]])
            members.append(j)
            free[j] = False
            volume += grow.d[j]
            gain += grow.gain[j]
            margin = min(margin, grow.margin[j])
            start = max(start, grow.ready[j])
            if adjacent is not None and near is not None:
                adjacent[near[j]] = True
        if best > 1e-9:
            out.append((best, Lot(cat_id, sup, tuple(order[k] for k in members), 0)))
    return out


def schedule_lots(
    inst: Instance, proposals: list[Lot], fixed: Sequence[LotOutcome] = ()
) -> list[LotOutcome]:
    """A feasible plan from lots in order of preference: each lot whose members are
    still free starts as early as its members' readiness, the formation limit and
    the offer's capacity and its members' own formation limits allow while it still
    saves; the others are left out. The `fixed` lots (a feasible plan's) come first,
    as they are: the proposals fill what they leave. Locks and supplier rules are kept by
    ``keep_rules``: members a lock keeps out are dropped from a lot, a lot on one
    supplier too many is left out, offers over their share lose their smallest
    lots, and unmet join/together locks are met where that breaks nothing else.
    An empty list when the plan would still break a rule (e.g. an unmet join lock)."""
    horizon = inst.settings.horizon
    limit = inst.settings.max_parallel_formations
    own_limit = inst.binding_org_capacity
    used_pairs: set[tuple[str, str]] = set()
    load: defaultdict[tuple[str, str], float] = defaultdict(float)
    forming: Counter[int] = Counter()
    own_forming: Counter[tuple[str, int]] = Counter()
    accepted: list[LotOutcome] = []
    suppliers: defaultdict[str, set[str]] = defaultdict(set)
    for held in fixed:
        lot = held.lot
        accepted.append(held)
        used_pairs.update((o, lot.category_id) for o in lot.members)
        load[(lot.supplier_id, lot.category_id)] += held.volume
        forming.update(held.forming)
        own_forming.update((o, p) for o in lot.members if o in own_limit for p in held.forming)
        suppliers[lot.category_id].add(lot.supplier_id)
    for proposed in proposals:
        lot = without_forbidden_members(inst, proposed) if inst.lock_records else proposed
        if not lot.members or any((o, lot.category_id) in used_pairs for o in lot.members):
            continue
        if not supplier_allowed(inst, suppliers[lot.category_id], lot):
            continue
        key = (lot.supplier_id, lot.category_id)
        first = max(inst.pair_ready[(o, lot.category_id)] for o in lot.members)
        capped = [o for o in lot.members if o in own_limit]
        earliest, problems = price_lot(
            inst, Lot(lot.category_id, lot.supplier_id, lot.members, first)
        )
        if earliest is None or problems:
            continue
        offer = inst.offer[key]
        # Later starts change only the live period and its weight: the start is
        # chosen by that arithmetic, and the lot priced again once it is chosen.
        for start in range(first, horizon + 1):
            live = max(start + earliest.lead, offer.available_from)
            if live > horizon:
                break
            if limit is not None and any(
                forming[p] >= limit for p in range(start, start + earliest.lead)
            ):
                continue
            if any(
                own_forming[(o, p)] >= own_limit[o]
                for o in capped
                for p in range(start, start + earliest.lead)
            ):
                continue
            if inst.live_weight(live) * earliest.savings_per_period - earliest.one_off <= 1e-9:
                break
            if not within(load[key] + earliest.volume, offer.capacity):
                break
            outcome, problems = price_lot(
                inst, Lot(lot.category_id, lot.supplier_id, lot.members, start)
            )
            if outcome is None or problems or outcome.net <= 1e-9:
                break
            accepted.append(outcome)
            used_pairs.update((o, lot.category_id) for o in lot.members)
            load[key] += outcome.volume
            forming.update(outcome.forming)
            own_forming.update((o, p) for o in capped for p in outcome.forming)
            suppliers[lot.category_id].add(lot.supplier_id)
            break
    accepted = honour_locks(inst, within_shares(inst, accepted))
    if not assess_plan(inst, [o.lot for o in accepted]).feasible:
        return []
    return accepted
