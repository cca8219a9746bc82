"""Pricing problem of the column generation: the best single lot of one category.

Given the master's duals — pi_o for organization o's one-lot row, mu_s for offer
s's capacity row, nu_p for period p's formation-limit row, rho_op for organization
o's own formation limit in period p (spec section 10) — the reduced cost of a lot
(G, s, sigma) is

    rc = net(G, s, sigma) - sum_{o in G} pi_o - mu_s V(G)
         - sum_{p forming} (nu_p + sum_{o in G} rho_op).

The model is the compact model of ``models/compact.md`` restricted to one lot
without a representative: y[o,s] (member o on offer s), z[s], tiers t/v,
start a[sigma], lead levels, ended/live/g per period. Connectivity: once a lot has
two or more members (binary `multi`) every member needs a neighbour inside it;
islands that remain are cut off by separator cuts added when they appear. The
model is built once per category; each iteration only changes objective
coefficients, and cuts stay valid for every iteration.

Own formation limits: for each member o whose limit can bind and each period p
in which the lot can be forming, u[o,p] >= x_o + forming(p) - open, u >= 0, with
objective coefficient -rho_op. forming(p) = A(p) - ended(p) <= open, so at
integer points the lower bound is x_o * forming(p); u is pushed to it by its
non-positive cost, and ``ended`` (upper bounds only) can only overstate forming.

Supplier rules and locks (spec sections 11 and 12; ``master.py``). The join and
together rows' duals are a bonus on the member's y (``set_duals``), the share rows'
a price per unit of volume added to mu. The category's locks restrict the lot to
those a plan keeping them may hold: an excluded member's y (on the lock's
supplier) is 0, a member joined to a supplier has y = 0 on the others,
x_o + x_o2 <= 1 for an ``apart`` pair and x_o = x_o2 for a ``together`` pair. Where
a lock or max_share can force a lot that loses money (rule 9 off,
``forced_lots.losses_possible``), S >= 0 is dropped and g[p] in [-L, U] with
g <= S + L (1 - live), and ended and live get their lower bounds, as in the
compact model (``compact/savings.py``). With `worth` 0 (phase 1 of the master)
the lot's own value is left out of the objective and only the duals price it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo

from consortia.backend.highs import SolverModel, add_row, run, set_time_limit, to_highs
from consortia.data.instance import Instance
from consortia.formulations.candidates import Candidates, lead_levels_of
from consortia.formulations.forced_lots import losses_possible
from consortia.rules.connectivity import components as connected_parts
from consortia.rules.plan import Lot


@dataclass
class CategorySets:
    category_id: str
    orgs: list[str]
    pairs: list[tuple[str, str]]  # (org, supplier) usable
    offers: list[str]
    reach: dict[str, float]  # supplier -> largest lot volume
    levels: list[tuple[int, int, int]]  # (lead, smallest n, largest n)
    starts: list[int]
    periods: list[int]
    tiers: list[tuple[str, int]] = field(default_factory=list)


def category_sets(cands: Candidates, cat_id: str) -> CategorySets | None:
    inst = cands.inst
    horizon = inst.settings.horizon
    cat = inst.category[cat_id]
    pairs = [(o, s) for (o, s, c) in cands.threshold if c == cat_id]
    volume_on: dict[str, float] = {}
    for o, s in pairs:
        volume_on[s] = volume_on.get(s, 0.0) + inst.demand_of[(o, cat_id)][0]
    reach = {s: min(inst.offer[(s, cat_id)].capacity, v) for s, v in volume_on.items()}
    # an offer whose first tier is out of reach can serve no lot
    reach = {
        s: r
        for s, r in reach.items()
        if any(seg.lo <= r for seg in cands.segments.get((s, cat_id), ()))
    }
    pairs = sorted(
        ((o, s) for o, s in pairs if s in reach and cands.threshold[(o, s, cat_id)] <= reach[s]),
        key=lambda p: (inst.org_index[p[0]], p[1]),
    )
    if not pairs:
        return None
    orgs = sorted({o for o, _ in pairs}, key=inst.org_index.__getitem__)
    offers = sorted({s for _, s in pairs})
    largest = len(orgs) if cat.max_members is None else min(cat.max_members, len(orgs))
    earliest = min(inst.pair_ready[(o, cat_id)] for o in orgs)
    levels = lead_levels_of(cat, largest, earliest, horizon)
    if not levels:
        return None
    starts = list(range(earliest, horizon - levels[0][0] + 1))
    periods = list(range(earliest + levels[0][0], horizon + 1))
    sets = CategorySets(cat_id, orgs, pairs, offers, reach, levels, starts, periods)
    sets.tiers = [
        (s, seg.k)
        for s in offers
        for seg in cands.segments.get((s, cat_id), ())
        if seg.lo <= reach[s]
    ]
    return sets


def build_pricing_model(cands: Candidates, cs: CategorySets) -> pyo.ConcreteModel:
    inst = cands.inst
    c = cs.category_id
    cat = inst.category[c]
    horizon = inst.settings.horizon
    demand = inst.demand_of
    seg = {(s, k): sg for s in cs.offers for sg in cands.segments.get((s, c), ()) for k in [sg.k]}
    m = pyo.ConcreteModel(name=f"pricing-{c}")
    m.z = pyo.Var(cs.offers, domain=pyo.Binary)
    m.y = pyo.Var(cs.pairs, domain=pyo.Binary)
    m.t = pyo.Var(cs.tiers, domain=pyo.Binary)
    m.v = pyo.Var(cs.tiers, bounds=lambda m, s, k: (0, min(seg[s, k].hi, cs.reach[s])))
    m.a = pyo.Var(cs.starts, domain=pyo.Binary)
    multi_level = len(cs.levels) > 1
    m.lvl = pyo.Var([lv[0] for lv in cs.levels] if multi_level else [], domain=pyo.Binary)
    m.ended = pyo.Var(cs.periods, bounds=(0, 1))
    m.live = pyo.Var(cs.periods, bounds=(0, 1))

    members_on = {s: [o for o, ss in cs.pairs if ss == s] for s in cs.offers}
    offers_of = {o: [s for oo, s in cs.pairs if oo == o] for o in cs.orgs}
    tiers_on = {s: [k for ss, k in cs.tiers if ss == s] for s in cs.offers}
    is_open = sum(m.z[s] for s in cs.offers)
    size = sum(m.y[p] for p in cs.pairs)

    def x(o: str) -> Any:
        return sum(m.y[o, s] for s in offers_of[o])

    def volume(s: str) -> Any:
        return sum(m.v[s, k] for k in tiers_on[s])

    m.one_offer = pyo.Constraint(expr=is_open <= 1)
    m.on_offer = pyo.Constraint(cs.pairs, rule=lambda m, o, s: m.y[o, s] <= m.z[s])
    m.one_tier = pyo.Constraint(
        cs.offers, rule=lambda m, s: sum(m.t[s, k] for k in tiers_on[s]) == m.z[s]
    )
    m.tier_low = pyo.Constraint(
        [key for key in cs.tiers if seg[key].lo > 0],
        rule=lambda m, s, k: m.v[s, k] >= seg[s, k].lo * m.t[s, k],
    )
    m.tier_high = pyo.Constraint(
        cs.tiers, rule=lambda m, s, k: m.v[s, k] <= min(seg[s, k].hi, cs.reach[s]) * m.t[s, k]
    )
    m.volume = pyo.Constraint(
        cs.offers,
        rule=lambda m, s: volume(s) == sum(demand[o, c][0] * m.y[o, s] for o in members_on[s]),
    )
    threshold = cands.threshold
    first = {s: min((seg[s, k].lo for k in tiers_on[s]), default=0.0) for s in cs.offers}
    m.rational = pyo.Constraint(
        [(o, s) for (o, s) in cs.pairs if threshold[o, s, c] > first[s]],
        rule=lambda m, o, s: volume(s) >= threshold[o, s, c] * m.y[o, s],
    )

    def level_sum(which: int) -> Any:
        if not multi_level:
            return cs.levels[0][which] * is_open
        return sum(lv[which] * m.lvl[lv[0]] for lv in cs.levels)

    if multi_level:
        m.one_level = pyo.Constraint(expr=sum(m.lvl[lv[0]] for lv in cs.levels) == is_open)
    m.size_low = pyo.Constraint(expr=size >= level_sum(1))
    m.size_high = pyo.Constraint(expr=size <= level_sum(2))
    m.one_start = pyo.Constraint(expr=sum(m.a[p] for p in cs.starts) == is_open)
    ready = {o: inst.pair_ready[(o, cs.category_id)] for o in cs.orgs}
    m.ready = pyo.Constraint(
        [o for o in cs.orgs if ready[o] > cs.starts[0]],
        rule=lambda m, o: x(o) <= sum(m.a[p] for p in cs.starts if p >= ready[o]),
    )

    def started_by(p: int) -> Any:
        return sum(m.a[q] for q in cs.starts if q <= p)

    m.ended_by = pyo.Constraint(
        [(p, lv[0]) for p in cs.periods for lv in cs.levels],
        rule=lambda m, p, lead: (
            m.ended[p]
            <= started_by(p - lead) + sum(m.lvl[lv[0]] for lv in cs.levels if lv[0] < lead)
        ),
    )
    m.live_after_end = pyo.Constraint(cs.periods, rule=lambda m, p: m.live[p] <= m.ended[p])

    ending = set(cs.periods)

    def forming(p: int) -> Any:
        return started_by(p) - (m.ended[p] if p in ending else 0)

    m.own = pyo.Var(own_forming_index(inst, cs), domain=pyo.NonNegativeReals)
    m.own_product = pyo.Constraint(
        list(m.own), rule=lambda m, o, p: m.own[o, p] >= x(o) + forming(p) - is_open
    )
    avail = {s: inst.offer[(s, c)].available_from for s in cs.offers}
    m.live_when_available = pyo.Constraint(
        [p for p in cs.periods if any(avail[s] > p for s in cs.offers)],
        rule=lambda m, p: m.live[p] <= sum(m.z[s] for s in cs.offers if avail[s] <= p),
    )
    m.live_by_horizon = pyo.Constraint(expr=m.live[horizon] >= is_open)

    surcharge = inst.surcharge
    best_price = {s: min(seg[key].price for key in cs.tiers if key[0] == s) for s in cs.offers}
    gains = {
        (o, s): demand[o, c][0] * (demand[o, c][1] - surcharge.get((o, s, c), 0.0))
        for o, s in cs.pairs
    }
    bound = max(
        1e-9,
        sum(
            max(0.0, max(gains[o, s] - demand[o, c][0] * best_price[s] for s in offers_of[o]))
            for o in cs.orgs
        ),
    )
    seg_of = {key: seg[key] for key in cs.tiers}
    savings = sum(gains[p] * m.y[p] for p in cs.pairs) - sum(
        seg_of[s, k].alpha * m.t[s, k] + seg_of[s, k].price * m.v[s, k] for s, k in cs.tiers
    )
    losing = losses_possible(inst, c)
    loss = loss_bound(inst, cs, members_on) if losing else 0.0
    if not losing:
        m.no_loss = pyo.Constraint(expr=savings >= 0)
    m.g = pyo.Var(cs.periods, bounds=(-loss if losing else 0.0, bound))
    if losing:
        m.g_savings = pyo.Constraint(
            cs.periods, rule=lambda m, p: m.g[p] <= savings + loss * (1 - m.live[p])
        )
        add_exact_live(m, cs, is_open, started_by, avail)
    else:
        m.g_savings = pyo.Constraint(cs.periods, rule=lambda m, p: m.g[p] <= savings)
    m.g_live = pyo.Constraint(cs.periods, rule=lambda m, p: m.g[p] <= bound * m.live[p])
    add_lock_rows(m, inst, cs, x)

    neighbours = inst.neighbours
    if neighbours is not None and len(cs.orgs) > 1:
        m.multi = pyo.Var(domain=pyo.Binary)
        m.multi_def = pyo.Constraint(expr=size <= 1 + (len(cs.orgs) - 1) * m.multi)
        inside = set(cs.orgs)
        m.has_neighbour = pyo.Constraint(
            cs.orgs,
            rule=lambda m, o: x(o) <= sum(x(k) for k in neighbours[o] if k in inside) + 1 - m.multi,
        )
    m.objective = pyo.Objective(
        expr=sum(inst.delta(p) * m.g[p] for p in cs.periods)
        - sum(inst.offer[(s, c)].fixed_cost * m.z[s] for s in cs.offers)
        - cat.coordination_cost * size,
        sense=pyo.maximize,
    )
    m.sets = cs
    m.members_on = members_on
    m.tiers_on = tiers_on
    return m


def loss_bound(inst: Instance, cs: CategorySets, members_on: dict[str, list[str]]) -> float:
    """L: the most the lot can lose per period, cost(V) <= pi_1 V on every offer."""
    c = cs.category_id
    worst = 0.0
    for s in cs.offers:
        top = inst.offer[(s, c)].tiers[0][1]
        loss = 0.0
        for o in members_on[s]:
            q, b = inst.demand_of[(o, c)]
            loss += q * max(0.0, top + inst.surcharge.get((o, s, c), 0.0) - b)
        worst = max(worst, loss)
    return worst


def add_exact_live(m: pyo.ConcreteModel, cs: CategorySets, is_open, started_by, avail) -> None:  # type: ignore[no-untyped-def]
    """ended(p) >= A(p - l) - (open - lvl(l)) for every lead level l (A(p - l) with a
    single level) and live(p) >= ended(p) - sum_{s: avail(s) > p} z[s]: exact ended
    and live for a lot that may lose money (``compact/timing.add_exact_live``)."""
    multi = len(cs.levels) > 1
    keys = [(p, lv[0]) for p in cs.periods for lv in cs.levels if p - lv[0] >= cs.starts[0]]

    def ended_from_start(m: pyo.ConcreteModel, p: int, lead: int) -> Any:
        if not multi:
            return m.ended[p] >= started_by(p - lead)
        return m.ended[p] >= started_by(p - lead) - is_open + m.lvl[lead]

    m.ended_from_start = pyo.Constraint(keys, rule=ended_from_start)
    m.live_from_end = pyo.Constraint(
        cs.periods,
        rule=lambda m, p: m.live[p] >= m.ended[p] - sum(m.z[s] for s in cs.offers if avail[s] > p),
    )


def add_lock_rows(m: pyo.ConcreteModel, inst: Instance, cs: CategorySets, x) -> None:  # type: ignore[no-untyped-def]
    """The category's locks on the single lot (see the module docstring)."""
    inside = set(cs.orgs)
    out: list[tuple[str, str]] = []
    pairs: list[tuple[str, str, str]] = []  # (rule, o, o2)
    for lock in inst.locks_in.get(cs.category_id, ()):
        o, o2 = lock.org_id, lock.other_org_id or ""
        if lock.rule == "exclude":
            out += [(o, s) for (k, s) in cs.pairs if k == o and lock.supplier_id in (None, s)]
        elif lock.rule == "join" and lock.supplier_id is not None:
            out += [(o, s) for (k, s) in cs.pairs if k == o and s != lock.supplier_id]
        elif lock.rule in ("together", "apart"):
            if o in inside and o2 in inside:
                pairs.append((lock.rule, o, o2))
            elif lock.rule == "together":  # one of the pair can be in no lot
                out += [(k, s) for (k, s) in cs.pairs if k in (o, o2)]
    m.locked_out = pyo.Constraint(sorted(set(out)), rule=lambda m, o, s: m.y[o, s] <= 0)

    def pair_row(m: pyo.ConcreteModel, i: int) -> Any:
        rule, o, o2 = pairs[i]
        return x(o) + x(o2) <= 1 if rule == "apart" else x(o) == x(o2)

    m.locked_pairs = pyo.Constraint(range(len(pairs)), rule=pair_row)


def own_forming_index(inst: Instance, cs: CategorySets) -> list[tuple[str, int]]:
    """(o, p) for the members whose own formation limit can bind and the periods in
    which the category's lot can be forming (its formation ends by T - 1)."""
    limits = inst.binding_org_capacity
    longest = cs.levels[-1][0]
    last = min(inst.settings.horizon - 1, cs.starts[-1] + longest - 1)
    return [(o, p) for o in cs.orgs if o in limits for p in range(cs.starts[0], last + 1)]


class PricingProblem:
    """One category's pricing MILP in HiGHS, re-solved with new duals each round."""

    def __init__(self, cands: Candidates, cs: CategorySets, seed: int = 0):
        self.cands = cands
        self.sets = cs
        self.model = build_pricing_model(cands, cs)
        self.solver: SolverModel = to_highs(self.model)
        self.solver.highs.setOptionValue("random_seed", int(seed))
        self.base_cost = self.solver.cost.copy()
        m = self.model
        col = self.solver.col
        self._pair_cols = np.array([col(m.y[p]) for p in cs.pairs], dtype=np.int64)
        self._pair_org = [o for o, _ in cs.pairs]
        self._tier_cols = np.array([col(m.v[key]) for key in cs.tiers], dtype=np.int64)
        self._tier_offer = [s for s, _ in cs.tiers]
        self._start_cols = np.array([col(m.a[p]) for p in cs.starts], dtype=np.int64)
        self._ended_cols = np.array([col(m.ended[p]) for p in cs.periods], dtype=np.int64)
        self._own_keys = list(m.own)
        self._own_cols = np.array([col(m.own[key]) for key in self._own_keys], dtype=np.int64)
        self.cuts = 0

    def set_duals(
        self,
        pi: dict[str, float],
        mu: dict[str, float],
        nu: dict[int, float],
        rho: dict[tuple[str, int], float] | None = None,
        bonus: dict[tuple[str, str], float] | None = None,
        worth: float = 1.0,
    ) -> None:
        """Objective = worth * net savings - sum_{o,s} (pi_o - bonus_os) y[o,s]
        - mu_s V_s - sum_p nu_p forming(p) - sum_{o,p} rho_op u[o,p]
        (u[o,p] = x_o forming(p))."""
        cost = worth * self.base_cost
        extra = bonus or {}
        cost[self._pair_cols] -= np.array(
            [pi.get(o, 0.0) - extra.get((o, s), 0.0) for o, s in self.sets.pairs]
        )
        cost[self._tier_cols] -= np.array([mu.get(s, 0.0) for s in self._tier_offer])
        horizon = self.cands.inst.settings.horizon
        # forming(p) = started_by(p) - ended(p); started_by(p) = sum_{sigma <= p} a_sigma
        tail = {p: sum(nu.get(q, 0.0) for q in range(p, horizon + 1)) for p in self.sets.starts}
        cost[self._start_cols] -= np.array([tail[p] for p in self.sets.starts])
        cost[self._ended_cols] += np.array([nu.get(p, 0.0) for p in self.sets.periods])
        if len(self._own_cols):
            own = rho or {}
            cost[self._own_cols] = -np.array([own.get(key, 0.0) for key in self._own_keys])
        h = self.solver.highs
        n = len(cost)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        self.solver.cost = cost

    def solve(self, time_limit: float) -> tuple[list[Lot], float]:
        """Best lots found (connected) and a proven upper bound on the best reduced cost."""
        h = self.solver.highs
        lots: list[Lot] = []
        bound = math.inf
        deadline = time.perf_counter() + time_limit
        for _ in range(50):
            set_time_limit(h, max(0.05, deadline - time.perf_counter()))
            run(h)
            info = h.getInfo()
            dual = float(info.mip_dual_bound)
            if math.isfinite(dual):
                bound = min(bound, dual)
            elif h.getModelStatus() == _OPTIMAL:
                bound = min(bound, float(info.objective_function_value))
            if info.primal_solution_status == 0:
                break
            values = np.asarray(h.getSolution().col_value)
            lot = self._decode(values)
            if lot is None:
                break
            islands = self._islands(lot)
            if not islands:
                lots.append(lot)
                break
            for cut in islands:
                add_row(self.solver, -math.inf, 1.0, cut)
                self.cuts += 1
            if time.perf_counter() >= deadline:
                break
        return lots, max(bound, 0.0)

    def _decode(self, values: np.ndarray) -> Lot | None:
        m = self.model
        col = self.solver.col
        chosen = [s for s in self.sets.offers if values[col(m.z[s])] > 0.5]
        if not chosen:
            return None
        s = chosen[0]
        members = tuple(o for o in m.members_on[s] if values[col(m.y[o, s])] > 0.5)
        if not members:
            return None
        start = max(self.sets.starts, key=lambda p: values[col(m.a[p])])
        return Lot(self.sets.category_id, s, members, start)

    def _islands(self, lot: Lot) -> list[list[tuple[object, float]]]:
        """Separator cuts x_i + x_j - sum_{k in N(C)} x_k <= 1 for a disconnected lot."""
        neighbours = self.cands.inst.neighbours
        if neighbours is None or len(lot.members) < 2:
            return []
        components = [sorted(part) for part in connected_parts(lot.members, neighbours)]
        if len(components) == 1:
            return []
        m = self.model
        offers_of: dict[str, list[str]] = {}
        for o, s in self.sets.pairs:
            offers_of.setdefault(o, []).append(s)
        cuts = []
        for comp in components:
            other = next(c for c in components if c is not comp)
            i, j = comp[0], other[0]
            boundary = {k for o in comp for k in neighbours[o]} - set(comp)
            terms: dict[int, tuple[object, float]] = {}
            for org, coef in [(i, 1.0), (j, 1.0)] + [(k, -1.0) for k in boundary]:
                for s in offers_of.get(org, []):
                    var = m.y[org, s]
                    terms[id(var)] = (var, coef)
            cuts.append(list(terms.values()))
        return cuts


_OPTIMAL = highspy.HighsModelStatus.kOptimal
