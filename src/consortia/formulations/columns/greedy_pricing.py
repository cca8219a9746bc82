"""Fast heuristic pricing and the Lagrangian bound that does not need exact pricing.

Greedy pricing grows lots member by member, always adding the neighbour that
raises the lot's reduced cost most, from a few promising seeds per offer. It finds
improving columns quickly but proves nothing.

The bound: for any duals pi, mu, nu, rho >= 0 of the master's rows (rho for an
organization's own formation limit k(o) in period p) and any feasible plan,
    net(plan) <= sum pi + sum mu cap + sum nu W + sum rho k + sum_{lots} rc(lot).
A lot's reduced cost is at most the sum over its members of
    phi_o = max_{s,k} [ M(live_osk) * (gain_os - d_o * floor_sk) ] - kappa_c
            - pi_o - mu_s d_o
where, for a lot whose volume lies in tier k of offer s, floor_sk = cost(V)/V at
the top of that tier (the average price never rises with volume) and live_osk =
max(ready(o) + lead(n_k), available_from(s)), n_k being the fewest members whose
demands reach the tier (a lot needs at least that many, and lead grows with
size). Fixed costs and formation duals (nu and rho) only lower the reduced cost.
Lots are disjoint, so
    z* <= sum pi + sum mu cap + sum nu W + sum rho k + sum_{(o,c)} max(0, phi_o),
a valid bound for any duals (Lagrangian relaxation of the one-lot rows).

With start and lead fixed, the own-limit duals cost a lot
sum_{o in G} sum_{p forming} rho_op: a constant per member, which the running sums
of greedy growth carry period by period.

Supplier rules and locks (spec sections 11 and 12, ``master.py``). The duals of the
join and together rows are a bonus per member and offer (``bonus``: a together
row's goes to its first organization, which is in a lot exactly when the second
is), and the share rows' duals a price per unit of volume on each offer, folded
into ``mu`` by the caller (it may be negative: volume elsewhere in the category
makes room under a share). Both are exact per member, so the bound above keeps
them as they are; the supplier columns' part of the bound is the master's
(``Master.dual_objective``). Growth never builds a lot a lock forbids: a pair's
excluded members are left out of the offer's pool, the members of a ``together``
lock join (or leave) as one unit, and an ``apart`` pair never shares a lot.
In phase 1 of the master (``worth`` 0) a lot's net savings count for nothing and
only the duals price it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from consortia.data.instance import Instance
from consortia.formulations.bounds import product_up, sum_up
from consortia.formulations.candidates import Candidates
from consortia.rules.locks import lock_forbids
from consortia.rules.plan import Lot, price_lot
from consortia.rules.spec import lead_time, live_period, lot_terms, tier_cost, within

# rho: the duals of the organizations' own formation limits, by (organization, period)
OwnDuals = dict[tuple[str, int], float]
# the join and together rows' duals, added per member: (organization, supplier) -> bonus
Bonus = dict[tuple[str, str], float]


class CategoryPricer:
    """Per-category data for greedy pricing and the separable bound."""

    def __init__(self, cands: Candidates, cat_id: str):
        inst = cands.inst
        self.inst = inst
        self.cat_id = cat_id
        self.cat = inst.category[cat_id]
        horizon = inst.settings.horizon
        self.pool: dict[str, list[str]] = {}
        for o, s, c in cands.threshold:
            if c == cat_id:
                self.pool.setdefault(s, []).append(o)
        self.unit, self.apart = lock_units(inst, cat_id)
        self.pool = {s: kept for s, orgs in self.pool.items() if (kept := self._allowed(s, orgs))}
        # Tier-aware floors: a lot whose volume lies in tier k pays at least
        # floor[s][k] per unit and has at least size[s][k] members, so it goes
        # live no earlier than its members' readiness plus lead(size).
        self.levels: dict[str, list[tuple[float, int]]] = {}
        for s, orgs in self.pool.items():
            off = inst.offer[(s, cat_id)]
            demands = sorted((inst.demand_of[(o, cat_id)][0] for o in orgs), reverse=True)
            reach = min(off.capacity, sum(demands))
            levels = []
            for k, (q, _) in enumerate(off.tiers):
                if q > reach:
                    break
                top = off.tiers[k + 1][0] if k + 1 < len(off.tiers) else math.inf
                end = min(top, reach)
                cost = tier_cost(off, end)
                floor = cost / end if cost is not None and end > 0 else math.inf
                count, total = 0, 0.0
                while total < q and count < len(demands):
                    total += demands[count]
                    count += 1
                levels.append((floor, max(count, self.cat.min_members, 1)))
            self.levels[s] = levels
        self.horizon = horizon

    def _allowed(self, s: str, orgs: list[str]) -> list[str]:
        """The organizations of an offer's pool that a plan keeping the locks may put
        on it: not excluded from it, not joined to another supplier, and with every
        organization of their ``together`` unit in the pool too."""
        locks = self.inst.locks_in.get(self.cat_id, ())
        kept = [
            o
            for o in orgs
            if not any(
                lock.rule in ("exclude", "join") and lock_forbids(lock, s, (o,)) for lock in locks
            )
        ]
        while True:
            present = set(kept)
            fewer = [o for o in kept if set(self.unit[o]) <= present and not self._split(o)]
            if len(fewer) == len(kept):
                return kept
            kept = fewer

    def _split(self, o: str) -> bool:
        """Whether o's together unit holds an apart pair (it can then be in no lot)."""
        unit = set(self.unit[o])
        return any(self.apart.get(k, set()) & unit for k in unit)

    def gain(self, o: str, s: str) -> float:
        q, b = self.inst.demand_of[(o, self.cat_id)]
        return q * (b - self.inst.surcharge.get((o, s, self.cat_id), 0.0))

    def phi(
        self,
        o: str,
        s: str,
        pi: dict[str, float],
        mu: dict[str, float],
        bonus: Bonus | None = None,
        worth: float = 1.0,
    ) -> float:
        """Upper bound on member o's part of the reduced cost of any lot on s (its
        net savings count `worth` times)."""
        inst = self.inst
        q = inst.demand_of[(o, self.cat_id)][0]
        off = inst.offer[(s, self.cat_id)]
        best = -math.inf
        for floor, size in self.levels[s]:
            live = live_period(off, lead_time(self.cat, size), inst.pair_ready[(o, self.cat_id)])
            if live > self.horizon:
                continue
            best = max(best, inst.live_weight(live) * (self.gain(o, s) - q * floor))
        if best == -math.inf:
            return -math.inf
        extra = (bonus or {}).get((o, s), 0.0)
        value = worth * (best - self.cat.coordination_cost)
        return value - pi.get(o, 0.0) + extra - mu.get(s, 0.0) * q

    def separable_bound(
        self,
        pi: dict[str, float],
        mu: dict[str, float],
        bonus: Bonus | None = None,
        worth: float = 1.0,
    ) -> float:
        best: dict[str, float] = {}
        for s, orgs in self.pool.items():
            for o in orgs:
                best[o] = max(best.get(o, 0.0), self.phi(o, s, pi, mu, bonus, worth))
        return math.fsum(best.values())

    def grow(
        self,
        pi: dict[str, float],
        mu: dict[str, float],
        nu: dict[int, float],
        seeds: int = 3,
        breadth: int = 25,
        rho: OwnDuals | None = None,
        bonus: Bonus | None = None,
        worth: float = 1.0,
    ) -> list[tuple[float, Lot]]:
        """Lots with positive reduced cost found by greedy growth."""
        rho = rho or {}
        bonus = bonus or {}
        inst = self.inst
        neighbours = inst.neighbours
        found: dict[Lot, float] = {}
        for s, orgs in self.pool.items():
            prices = {o: pi.get(o, 0.0) - bonus.get((o, s), 0.0) for o in orgs}
            score = {o: self.phi(o, s, pi, mu, bonus, worth) for o in orgs}
            ranked = sorted(orgs, key=lambda o: -score[o])
            for seed in ranked[:seeds]:
                state = _LotState(self, s, prices, mu, nu, rho, worth)
                for o in self.unit[seed]:
                    state.add(o)
                best_rc, best_lot = state.evaluate()
                while True:
                    inside = state.members
                    if neighbours is None:
                        options = [o for o in ranked if o not in inside]
                    else:
                        near = set().union(*(neighbours[o] for o in inside))
                        options = [o for o in ranked if o in near and o not in inside]
                    options = [o for o in options if self._fits(o, inside)]
                    step_best: tuple[float, str] | None = None
                    for o in options[:breadth]:
                        rc, _ = state.evaluate(extra=self._joining(o, inside))
                        if step_best is None or rc > step_best[0]:
                            step_best = (rc, o)
                    if step_best is None or step_best[0] <= best_rc + 1e-9:
                        break
                    for o in self._joining(step_best[1], inside):
                        state.add(o)
                    best_rc, best_lot = state.evaluate()
                if best_lot is not None and best_rc > 1e-9:
                    rc = reduced_cost(inst, best_lot, pi, mu, nu, rho, bonus, worth)
                    if rc > 1e-9:
                        found[best_lot] = rc
        return sorted(((rc, lot) for lot, rc in found.items()), key=lambda x: -x[0])

    def _joining(self, o: str, inside: Sequence[str]) -> tuple[str, ...]:
        """The organizations that join a lot with o: its together unit."""
        return tuple(k for k in self.unit[o] if k not in inside)

    def _fits(self, o: str, inside: Sequence[str]) -> bool:
        """Whether o's unit can join the members `inside` without an apart pair."""
        unit = self._joining(o, inside)
        held = set(inside) | set(unit)
        return not any(self.apart.get(k, set()) & held for k in unit)


def lock_units(
    inst: Instance, cat_id: str
) -> tuple[dict[str, tuple[str, ...]], dict[str, set[str]]]:
    """For the organizations with demand in the category: the unit each one joins a
    lot with (itself and, through ``together`` locks, everyone who must share its
    lot), and the organizations an ``apart`` lock keeps out of its lot."""
    orgs = [o for (o, c) in inst.demand_of if c == cat_id]
    parent = {o: o for o in orgs}

    def root(o: str) -> str:
        while parent[o] != o:
            parent[o] = parent[parent[o]]
            o = parent[o]
        return o

    apart: dict[str, set[str]] = {}
    for lock in inst.locks_in.get(cat_id, ()):
        other = lock.other_org_id
        if other is None or lock.org_id not in parent or other not in parent:
            continue
        if lock.rule == "together":
            parent[root(lock.org_id)] = root(other)
        elif lock.rule == "apart":
            apart.setdefault(lock.org_id, set()).add(other)
            apart.setdefault(other, set()).add(lock.org_id)
    groups: dict[str, list[str]] = {}
    for o in sorted(orgs, key=inst.org_index.__getitem__):
        groups.setdefault(root(o), []).append(o)
    return {o: tuple(groups[root(o)]) for o in orgs}, apart


def reduced_cost(
    inst: Instance,
    lot: Lot,
    pi: dict[str, float],
    mu: dict[str, float],
    nu: dict[int, float],
    rho: OwnDuals | None = None,
    bonus: Bonus | None = None,
    worth: float = 1.0,
) -> float:
    """worth * net(lot) - sum (pi_o - bonus_os) - mu_s V - sum_{p forming} (nu_p +
    sum_{o in G} rho_op), with net priced by the spec; -inf for a lot that breaks a
    rule of its own or that a lock forbids."""
    outcome, problems = price_lot(inst, lot)
    if outcome is None or problems:
        return -math.inf
    locks = inst.locks_in.get(lot.category_id, ())
    if any(lock_forbids(lock, lot.supplier_id, lot.members) for lock in locks):
        return -math.inf
    own = rho or {}
    extra = bonus or {}
    return (
        worth * outcome.net
        - sum(pi.get(o, 0.0) - extra.get((o, lot.supplier_id), 0.0) for o in lot.members)
        - mu.get(lot.supplier_id, 0.0) * outcome.volume
        - sum(nu.get(p, 0.0) for p in outcome.forming)
        - sum(own.get((o, p), 0.0) for o in lot.members for p in outcome.forming)
    )


class _LotState:
    """Running sums of a lot under growth, so one evaluation costs O(horizon).

    The sums only steer the search: the tier cost, lead, live period and one-off
    costs come from :func:`consortia.rules.spec.lot_terms`, and a lot the search
    settles on is priced again by :func:`consortia.rules.plan.price_lot` before it is
    reported (see :func:`reduced_cost`).
    """

    def __init__(self, pricer: CategoryPricer, s: str, pi, mu, nu, rho=None, worth=1.0):  # type: ignore[no-untyped-def]
        self.p = pricer
        self.worth = worth
        self.s = s
        self.pi, self.mu, self.nu = pi, mu, nu
        self.rho: OwnDuals = rho or {}
        # period -> sum of the members' own-limit duals rho_op (section 10)
        self.own: dict[int, float] = {}
        self.members: list[str] = []
        self.volume = 0.0
        self.gain = 0.0
        self.duals = 0.0
        self.ready = 1
        self.limit = math.inf  # lowest (baseline - surcharge) among members
        self.offer = pricer.inst.offer[(s, pricer.cat_id)]

    def add(self, o: str) -> None:
        inst, c = self.p.inst, self.p.cat_id
        q, b = inst.demand_of[(o, c)]
        self.members.append(o)
        self.volume += q
        self.gain += self.p.gain(o, self.s)
        self.duals += self.pi.get(o, 0.0)
        self.ready = max(self.ready, inst.pair_ready[(o, c)])
        self.limit = min(self.limit, b - inst.surcharge.get((o, self.s, c), 0.0))
        for t, v in self._own_duals(o).items():
            self.own[t] = self.own.get(t, 0.0) + v

    def _own_duals(self, o: str) -> dict[int, float]:
        """rho_op by period p for member o (empty without own-limit duals)."""
        if not self.rho:
            return {}
        return {t: v for t in range(1, self.p.horizon + 1) if (v := self.rho.get((o, t), 0.0))}

    def evaluate(self, extra: str | tuple[str, ...] | None = None) -> tuple[float, Lot | None]:
        """The best reduced cost of the lot (with the organizations `extra` added)
        over its starts, and that lot."""
        p = self.p
        inst, c, cat = p.inst, p.cat_id, p.cat
        volume, gain, duals, ready, limit = (
            self.volume,
            self.gain,
            self.duals,
            self.ready,
            self.limit,
        )
        n = len(self.members)
        own = self.own
        added = (extra,) if isinstance(extra, str) else tuple(extra or ())
        for new in added:
            extra_own = self._own_duals(new)
            if extra_own:
                own = dict(own)
                for t, v in extra_own.items():
                    own[t] = own.get(t, 0.0) + v
            q, b = inst.demand_of[(new, c)]
            volume += q
            gain += p.gain(new, self.s)
            duals += self.pi.get(new, 0.0)
            ready = max(ready, inst.pair_ready[(new, c)])
            limit = min(limit, b - inst.surcharge.get((new, self.s, c), 0.0))
            n += 1
        if n < cat.min_members or (cat.max_members is not None and n > cat.max_members):
            return -math.inf, None
        if volume > self.offer.capacity * (1 + 1e-9):
            return -math.inf, None
        terms = lot_terms(cat, self.offer, n, volume, ready)
        if terms.below_first_tier:
            return -math.inf, None
        # Rule 9 for every member at once: u(o) = unit + h(o) <= b(o) for all o
        # exactly when unit <= min_o (b(o) - h(o)) (up to the tolerance's scale).
        if inst.settings.individually_rational and not within(terms.unit, limit):
            return -math.inf, None
        lead = terms.lead
        # S = sum d (b - h) - cost(V), the spec's equivalent form of sum d (b - u).
        savings = gain - terms.cost
        duals += self.mu.get(self.s, 0.0) * volume
        best = -math.inf
        best_start = None
        for start in range(ready, p.horizon - lead + 1):
            live = live_period(self.offer, lead, start)
            if live > p.horizon:
                break
            forming = sum(self.nu.get(t, 0.0) + own.get(t, 0.0) for t in range(start, start + lead))
            rc = self.worth * terms.net(inst.live_weight(live), savings) - duals - forming
            if rc > best:
                best, best_start = rc, start
        if best_start is None:
            return -math.inf, None
        members = list(self.members) + list(added)
        members.sort(key=inst.org_index.__getitem__)
        return best, Lot(c, self.s, tuple(members), best_start)


def plan_bound(
    inst: Instance,
    pricers: dict[str, CategoryPricer],
    pi: dict[tuple[str, str], float],
    mu: dict[tuple[str, str], float],
    nu: dict[int, float],
    rho: OwnDuals | None = None,
    *,
    base: float | None = None,
    bonus: dict[tuple[str, str, str], float] | None = None,
    worth: float = 1.0,
) -> float:
    """The Lagrangian bound of the module docstring for the given duals.

    `base` is the master's dual objective (``Master.dual_objective``), when it has
    rows beyond the one-lot, capacity and formation rows; `mu` then holds the whole
    price per unit of volume on each offer (capacity and share duals), and `bonus`
    the join and together duals by (organization, supplier, category). With
    `worth` 0 it bounds phase 1 of the master (lots worth nothing)."""
    if base is None:
        terms = list(pi.values())
        capacity = inst.binding_org_capacity
        terms += [product_up(v, float(capacity[o])) for (o, _), v in (rho or {}).items() if v > 0]
        terms += [product_up(v, inst.offer[key].capacity) for key, v in mu.items() if v > 0]
        limit = inst.settings.max_parallel_formations
        if limit is not None:
            terms += [product_up(float(limit), v) for v in nu.values()]
    else:
        terms = [base]
    for cat_id, pricer in pricers.items():
        terms.append(
            pricer.separable_bound(
                {o: v for (o, c), v in pi.items() if c == cat_id},
                {s: v for (s, c), v in mu.items() if c == cat_id},
                {(o, s): v for (o, s, c), v in (bonus or {}).items() if c == cat_id},
                worth,
            )
        )
    return sum_up(terms)
