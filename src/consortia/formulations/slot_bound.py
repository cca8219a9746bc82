"""A bound that prices the central formation limit, for instances of any size.

The member bound (``regional.member_bound``) credits every demand pair the
deepest discount from its earliest live period, as if the central team could
form every lot at once. This bound charges formation time instead.

**Relaxation.** Write a lot l of category c on offer s with n members, start σ,
lead L = lead(c, n) and live period ``live = max(σ + L, available_from(s))``. Its
net savings are at most ``Σ_{o∈l} [M(live) d_o (b_o - h_os - π_s(n)) - κ_c]``,
where ``π_s(n)`` is the average price of the largest volume n members of c served
by s can pool (at most the offer's capacity): the average price cost(V)/V never
rises with V (spec section 3), so a lot of at most n members pays at least
``π_s(n)``; fixed costs only lower it. For prices ``ν_p ≥ 0`` on the formation
rows (rule 8: at most W lots forming in period p), every plan satisfies

    value ≤ value + Σ_p ν_p (W - forming_p)
          = W Σ_p ν_p + Σ_lots Σ_{o∈l} [M(live) d_o (b_o - h_os - π_s(n)) - κ_c - C_l / n]

with ``C_l = Σ_{p=σ}^{σ+L-1} ν_p`` shared equally by the members. Each pair is in at
most one lot, so the sum over lots is at most the sum over pairs of the best such
term over every offer serving the pair, member count n (taken as the largest n
of its lead level: a larger n only lowers π_s(n) and C/n) and start σ from the
pair's readiness (spec section 9) with live ≤ T — or 0, when the pair is in no
lot. Every other rule (graph, locks, …; capacity and own limits below) is dropped, which
only raises the bound. Any ν ≥ 0 gives a valid bound; a subgradient search over
ν makes it small, and the least one found is summed exactly and rounded up.
With ν = 0 it is the member bound with each offer's price at its reachable
volume instead of its deepest tier.

**Bridges** (spec rule 7). With a collaboration graph the bound is evaluated once
more at the prices found, with each pair's term under an option (offer group, lead
level, start σ) lowered for the bridge its lot needs. Write V_o for the pair's
bracket above at that option (the best over the group's offers; -inf where it
cannot join: not served or not ready by σ). A lot of that option with at least two
members (the level's smallest count n_lo ≥ 2) is connected, so a member o with
V_o > 0 whose neighbours all have V ≤ 0 (an *isolated* pair) has a neighbour j in
the lot, whose term is at most V_j ≤ 0. Each such j neighbours at most D_j isolated
pairs, so charging every isolated pair

    b_o = min over neighbours j with V_j finite of |V_j| / D_j   (+inf if none)

takes from the lot at most what its bridges lose: Σ_{o∈l} V_o ≤ Σ_{o∈l, V_o>0}
(V_o - b_o [o isolated]). Levels whose lots may have a single member are not
charged. The charge needs a pass over the graph's edges per option and start,
so the price search runs without it.

**Own limits** (spec section 10, rule 8b: organization o helps form at most k(o)
lots in any period) are priced the same way, with ``μ_{o,p} ≥ 0``: the bound gains
``Σ_{o,p} k(o) μ_{o,p}`` and each member pays ``Σ_{p=σ}^{σ+L-1} μ_{o,p}`` in full
(the row counts o once per lot it forms).

**Capacity** (spec rule 6: the lots on offer s pool at most cap_s) is priced too,
for every offer whose capacity is below the demand it serves (the other rows
cannot bind), with ``λ_s ≥ 0`` per unit of volume: the bound gains
``Σ_s cap_s λ_s`` and a pair on s pays ``d_o λ_s`` (its volume, once). The
best offer of a pair then depends on the prices, so these offers' savings are
kept apart from the best of the others. Only offers that are some pairs' best
for more than their capacity get a price (leaving a row unpriced keeps the bound
valid). The prices are set after the search over ν and μ, one row at a time with
the others fixed, where the bound is least (``_Relaxation.price_capacity``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
import scipy.sparse as sp

from consortia.data.instance import Instance, Offer
from consortia.formulations.bounds import sum_up
from consortia.formulations.candidates import lead_levels_of
from consortia.formulations.regional import (
    _category_frames,
    _served,
    _surcharge_tables,
    _surcharges,
)
from consortia.rules.connectivity import adjacency
from consortia.rules.spec import live_weights, tier_costs

ROUNDS = 300  # subgradient steps at most
STALL = 8  # steps without a better bound before the step size is halved
CAPACITY_ROUNDS = 2  # passes over the capacity rows (the second rarely moves a price)


@dataclass
class _Options:
    """One category's relaxed options for its pairs, per lead level and availability:
    the best per-period saving ``A`` (pairs,) of any offer serving each pair."""

    lead: int
    members: int  # the largest member count of the level
    fewest: int  # the smallest member count of the level
    available: int  # available_from of the offers in this group
    saving: np.ndarray  # A_o = max_s d_o (b_o - h_os - π_s(n)); -inf where none serves
    offer: np.ndarray  # the index (in _Category.offers) of an offer attaining A_o
    # A_o over the offers whose capacity is not priced, an offer attaining it, and
    # each priced offer's own saving (keyed by its index in _Category.offers)
    free: np.ndarray = field(default_factory=lambda: np.zeros(0))
    free_offer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    capped: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass
class _Category:
    category_id: str
    orgs: list[str]
    ready: np.ndarray  # pair readiness r(o, c)
    coordination: float
    options: list[_Options]
    offers: list[Offer]
    frame: pd.DataFrame  # the category's pairs (``regional._category_frames``)
    price: dict[tuple[int, int], float]  # π_s(n) per (offer index, lead level)
    graph: sp.csr_matrix | None  # the collaboration graph among its pairs
    volume: np.ndarray  # d_o
    capped: list[int]  # the offers (indices in ``offers``) whose capacity can bind
    own: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rows: dict[int, int] = field(default_factory=dict)  # capped offer -> capacity row
    # pairs x starts 1..T: the start is before the pair's readiness
    unready: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))


def _best(savings: dict[int, np.ndarray], pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """The largest saving per pair over the offers given and the first offer attaining it
    (-inf and offer -1 where none serves)."""
    best = np.full(pairs, -math.inf)
    which = np.full(pairs, -1, dtype=np.int64)
    for index, saving in savings.items():
        which = np.where(saving > best, index, which)
        best = np.maximum(best, saving)
    return best, which


def _options(
    lead: int,
    members: int,
    fewest: int,
    available: int,
    savings: dict[int, np.ndarray],
    capped: list[int],
    best: tuple[np.ndarray, np.ndarray],
) -> _Options:
    """One option from its offers' savings and their best (``_best``), the capped
    offers' kept apart."""
    pairs = len(best[0])
    saving, offer = best
    free, free_offer = _best({i: v for i, v in savings.items() if i not in capped}, pairs)
    own = {i: v for i, v in savings.items() if i in capped}
    return _Options(lead, members, fewest, available, saving, offer, free, free_offer, own)


def _can_bind(
    best: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]],
    capped: list[int],
    size: np.ndarray,
    offers: list[Offer],
) -> list[int]:
    """The offers of `capped` worth a price: the best offer (`best`: ``_best`` per
    level) of pairs whose demand exceeds its capacity at some level. Leaving the
    others' rows unpriced (λ = 0) keeps the bound valid and spares the search their
    columns (a generated UK instance: 12 of the 76 offers whose capacity is below
    the demand they serve)."""
    wins = {k: np.zeros(len(size), dtype=bool) for k in capped}
    for saving, which in best.values():
        for k in capped:
            wins[k] |= (which == k) & np.isfinite(saving)
    return [k for k in capped if float(size[wins[k]].sum()) > offers[k].capacity]


def _categories(inst: Instance) -> list[_Category]:
    horizon = inst.settings.horizon
    tables = _surcharge_tables(inst)
    out = []
    for cat_id, frame in _category_frames(inst).items():
        cat = inst.category[cat_id]
        offers = [f for f in inst.offers_in.get(cat_id, []) if f.available_from <= horizon]
        if not offers or not len(frame):
            continue
        size = frame["quantity"].to_numpy(float)
        baseline = frame["baseline_price"].to_numpy(float)
        ready = frame["ready_period"].to_numpy(np.int64)
        region = frame["region"].astype(str)
        largest = len(frame) if cat.max_members is None else min(cat.max_members, len(frame))
        levels = lead_levels_of(cat, largest, int(ready.min()), horizon)
        fewest = {lead: least for lead, least, _ in levels}
        by_level: dict[tuple[int, int, int], dict[int, np.ndarray]] = {}
        reachable: dict[tuple[int, int], float] = {}
        capped = []
        for index, offer in enumerate(offers):
            served = _served(offer, region)
            if not served.any():
                continue
            if offer.capacity < float(size[served].sum()):
                capped.append(index)
            h = _surcharges(tables, cat_id, offer, frame["org_id"])
            pooled = np.concatenate([[0.0], np.cumsum(np.sort(size[served])[::-1])])
            for lead, _, most in levels:
                volume = min(offer.capacity, float(pooled[min(most, len(pooled) - 1)]))
                cost, below = tier_costs(offer, np.array([volume]))
                if below[0] or volume <= 0:
                    continue
                price = float(cost[0]) / volume
                reachable[(index, lead)] = price
                saving = np.where(served, size * (baseline - h - price), -math.inf)
                by_level.setdefault((lead, most, offer.available_from), {})[index] = saving
        best = {key: _best(savings, len(size)) for key, savings in by_level.items()}
        capped = _can_bind(best, capped, size, offers)
        options = [
            _options(lead, n, fewest[lead], a, savings, capped, best[(lead, n, a)])
            for (lead, n, a), savings in sorted(by_level.items())
        ]
        if options:
            out.append(
                _Category(
                    cat_id,
                    list(frame["org_id"]),
                    ready,
                    cat.coordination_cost,
                    options,
                    offers,
                    frame,
                    reachable,
                    adjacency(list(frame["org_id"]), inst.neighbours),
                    size,
                    capped,
                )
            )
    return out


@dataclass
class Charges:
    """What a lot pays at given prices: running sums of ν over periods (T + 1,) and of
    μ per limited organization over periods, with a last row of zeros for everyone
    else, so that a lot forming in σ..σ+L-1 pays ``formation[σ+L-1] - formation[σ-1]``;
    and λ_s per unit of volume on each capped offer's capacity row."""

    formation: np.ndarray
    own: np.ndarray
    capacity: np.ndarray


class _Relaxation:
    """The bound as a function of the prices: ν on the central formation rows
    (periods 1..T) and μ on each limited organization's own rows (rule 8b)."""

    def __init__(self, inst: Instance) -> None:
        self.horizon = inst.settings.horizon
        self.limit = inst.settings.max_parallel_formations
        self.weights = live_weights(inst)
        self.categories = _categories(inst)
        own = inst.binding_org_capacity
        self.own_orgs = sorted(own, key=inst.org_index.__getitem__)
        self.own_limit = np.array([own[o] for o in self.own_orgs], dtype=float)
        at = {o: i for i, o in enumerate(self.own_orgs)}
        caps: list[float] = []
        # each pair's row in μ (the last, zero, row if none) and the starts before its readiness
        for cat in self.categories:
            cat.own = np.array([at.get(o, len(at)) for o in cat.orgs], dtype=np.int64)
            cat.unready = np.arange(1, self.horizon + 1)[None, :] < cat.ready[:, None]
            for index in cat.capped:
                cat.rows[index] = len(caps)
                caps.append(cat.offers[index].capacity)
        self.caps = np.array(caps, dtype=float)

    @property
    def size(self) -> int:
        """The number of prices: ν (when there is a central limit), μ, then λ cap."""
        central = self.horizon if self.limit is not None else 0
        return central + self.own_limit.size * self.horizon + self.caps.size

    def split(self, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ν, μ as organizations x periods) from one price vector."""
        central = self.horizon if self.limit is not None else 0
        nu = prices[:central] if central else np.zeros(self.horizon)
        own = prices[central : central + self.own_limit.size * self.horizon]
        return nu, own.reshape(len(self.own_orgs), self.horizon)

    def capacity(self) -> np.ndarray:
        """The right-hand sides of the priced rows, in the order of the prices."""
        central = [float(self.limit)] * self.horizon if self.limit is not None else []
        return np.concatenate([central, np.repeat(self.own_limit, self.horizon), self.caps])

    def charges(self, prices: np.ndarray) -> Charges:
        """What a lot pays at these prices (``Charges``)."""
        nu, mu = self.split(prices)
        cum = np.concatenate([[0.0], np.cumsum(nu)])
        own_cum = np.zeros((len(self.own_orgs) + 1, self.horizon + 1))
        own_cum[:-1, 1:] = np.cumsum(mu, axis=1)
        return Charges(cum, own_cum, prices[prices.size - self.caps.size :])

    def option_values(
        self,
        cat: _Category,
        opt: _Options,
        charges: Charges,
        capped: int | None = None,
        on: bool = False,
        known: dict[int, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """One option's bracket of the module docstring for every pair (rows) and start
        (columns): (the starts, the values, -inf where the pair is not ready or not
        served; the offer (index in ``cat.offers``) each value is on, None where it is
        the option's own best); None where no start fits the horizon. With a `capped`
        offer, the best on it alone (`on`, whatever its capacity price) or on any
        other offer. `known` keeps ``start_costs`` per lead between the options of one
        category at the same charges."""
        horizon = self.horizon
        starts = np.arange(1, horizon + 1)
        live = np.maximum(starts + opt.lead, opt.available)
        fits = live <= horizon
        if not fits.any():
            return None
        cum = charges.formation
        # with every capacity price at 0 each pair's best offer is the same as without
        # them (the subgradient search runs so): one column per option
        unpriced = capped is None and not charges.capacity.any()
        s = starts[fits]  # 1..m: live never falls as the start grows
        weight = self.weights[live[fits]]
        # pairs x starts: M(live) A - κ - C/n - own charge, -inf before the pair's readiness
        shift = np.full(len(s), -cat.coordination)
        if opt.lead:
            shift -= (cum[s + opt.lead - 1] - cum[s - 1]) / opt.members
        known = {} if known is None else known
        if opt.lead not in known:
            known[opt.lead] = self.start_costs(cat, charges, opt.lead)
        at_start = known[opt.lead][:, : len(s)]
        value = np.multiply.outer(opt.saving if unpriced else opt.free, weight)
        value += shift[None, :]
        value += at_start
        offer = None
        if not unpriced and opt.capped and (capped is None or capped in opt.capped):
            offer = np.repeat(opt.free_offer[:, None], len(s), axis=1)
            if on:
                value[:] = -math.inf
            for k, saving in opt.capped.items():  # on a capped offer: less λ_s d_o
                if capped is not None and (k == capped) != on:
                    continue
                paid = 0.0 if on else charges.capacity[cat.rows[k]] * cat.volume
                other = np.outer(saving, weight) + shift[None, :] - np.atleast_1d(paid)[:, None]
                other += at_start
                better = other > value
                value = np.where(better, other, value)
                offer[better] = k
        elif on:
            return None
        return s, value, offer

    def start_costs(self, cat: _Category, charges: Charges, lead: int) -> np.ndarray:
        """Per pair (rows) and start σ = 1..T (columns): minus the pair's own charge
        of a formation of `lead` periods from σ (0 without own limits or lead), and
        -inf before the pair's readiness."""
        horizon = self.horizon
        costs = np.zeros((len(cat.ready), horizon))
        if lead and self.own_orgs:
            mine = charges.own[cat.own]  # pairs x (T + 1)
            width = horizon + 1 - lead  # starts whose formation ends by T
            np.subtract(mine[:, :width], mine[:, lead : lead + width], out=costs[:, :width])
        costs[cat.unready] = -math.inf
        return costs

    def choose(
        self,
        cat: _Category,
        charges: Charges,
        bridged: bool = False,
        capped: int | None = None,
        on: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each pair's best option at these prices: (its value, at least 0; its start;
        the index of its option in ``cat.options``, -1 where no option is positive; the
        offer (index in ``cat.offers``) it is on); `bridged`: with the bridge charge of
        the module docstring; `capped` and `on` as in ``option_values``."""
        pairs = len(cat.ready)
        rows = np.arange(pairs)
        best = np.zeros(pairs)
        chosen_start = np.zeros(pairs, dtype=np.int64)
        chosen = np.full(pairs, -1, dtype=np.int64)
        chosen_offer = np.full(pairs, -1, dtype=np.int64)
        unpriced = capped is None and not charges.capacity.any()
        known: dict[int, np.ndarray] = {}
        for index, opt in enumerate(cat.options):
            found = self.option_values(cat, opt, charges, capped, on, known)
            if found is None:
                continue
            s, value, offer = found
            if bridged and cat.graph is not None and opt.fewest >= 2:
                value = value - bridge_charge(value, cat.graph)
            k = np.argmax(value, axis=1)
            top = value[rows, k]
            better = top > best
            best = np.where(better, top, best)
            chosen_start = np.where(better, s[k], chosen_start)
            chosen = np.where(better, index, chosen)
            at = (opt.offer if unpriced else opt.free_offer) if offer is None else offer[rows, k]
            chosen_offer = np.where(better, at, chosen_offer)
        return best, chosen_start, chosen, chosen_offer

    def pair_terms(self, prices: np.ndarray, bridged: bool = False) -> list[np.ndarray]:
        """Per category (in ``categories`` order): each pair's term, its best option's
        value at these prices (at least 0)."""
        charges = self.charges(prices)
        return [self.choose(cat, charges, bridged)[0] for cat in self.categories]

    def price_capacity(self, prices: np.ndarray) -> np.ndarray:
        """The prices with every capacity price λ_s set, one row at a time and the
        others fixed, where the bound is least. With the rest fixed a pair's term is
        ``max(a_o, b_o - d_o λ_s)`` (a_o its best off s, at least 0; b_o on s at
        λ_s = 0), so the bound ``cap_s λ_s + Σ_o max(a_o, b_o - d_o λ_s)`` falls while
        the pairs still better off on s, those with ``(b_o - a_o) / d_o > λ_s``, pool
        more than cap_s: λ_s is the rate at which their volume first fits."""
        prices = prices.copy()
        first = prices.size - self.caps.size
        for _ in range(CAPACITY_ROUNDS):
            for cat in self.categories:
                for k, row in cat.rows.items():
                    charges = self.charges(prices)
                    off, *_ = self.choose(cat, charges, capped=k)
                    only, *_ = self.choose(cat, charges, capped=k, on=True)
                    gains = only > off
                    rate = (only[gains] - off[gains]) / cat.volume[gains]
                    order = np.argsort(-rate, kind="stable")
                    pooled = np.cumsum(cat.volume[gains][order])
                    fits = int(np.searchsorted(pooled, self.caps[row], side="right"))
                    unit = float(rate[order][fits]) if fits < len(rate) else 0.0
                    prices[first + row] = max(unit, 0.0)
        return prices

    def evaluate(self, prices: np.ndarray, bridged: bool = False) -> tuple[list[float], np.ndarray]:
        """The pairs' terms (each pair's best option, at least 0; the priced rows'
        right-hand sides times their prices are added by the caller) and the relaxed
        left-hand side of every priced row (the subgradient is the right-hand side
        minus it)."""
        horizon = self.horizon
        charges = self.charges(prices)
        count = np.zeros(horizon + 2)
        own_count = np.zeros((len(self.own_orgs) + 1, horizon + 2))
        pooled = np.zeros(self.caps.size)
        terms: list[float] = []
        for cat in self.categories:
            best, chosen_start, chosen, offer = self.choose(cat, charges, bridged)
            lead = np.array([o.lead for o in cat.options] + [0], dtype=np.int64)[chosen]
            share = np.array([1.0 / o.members for o in cat.options] + [0.0])[chosen]
            terms += best[best > 0].tolist()
            used = (best > 0) & (lead > 0)
            first, last = chosen_start[used], chosen_start[used] + lead[used]
            np.add.at(count, first, share[used])
            np.add.at(count, last, -share[used])
            np.add.at(own_count, (cat.own[used], first), 1.0)
            np.add.at(own_count, (cat.own[used], last), -1.0)
            if cat.rows:
                row = np.array([cat.rows.get(i, -1) for i in range(len(cat.offers))])
                on = row[offer[best > 0]]
                volume = cat.volume[best > 0]
                np.add.at(pooled, on[on >= 0], volume[on >= 0])
        central = np.cumsum(count)[1 : horizon + 1] if self.limit is not None else np.zeros(0)
        own = np.cumsum(own_count, axis=1)[:-1, 1 : horizon + 1].ravel()
        return terms, np.concatenate([central, own, pooled])


def bridge_charge(value: np.ndarray, graph: sp.csr_matrix) -> np.ndarray:
    """The charge b_o of the module docstring for every pair (rows) and start
    (columns) of one option: 0 where the pair is not isolated."""
    positive = (value > 0).astype(float)
    isolated = (positive > 0) & ~((graph @ positive) > 0)
    if not isolated.any():
        return np.zeros_like(value)
    bridges = graph @ isolated.astype(float)  # D_j: isolated neighbours of each j
    ends = graph.indices  # the neighbour j of each edge, edges grouped by pair
    v, d = value[ends], bridges[ends]
    share = np.full(v.shape, math.inf)
    usable = np.isfinite(v) & (d > 0)
    share[usable] = -v[usable] / d[usable]  # v <= 0 there: j neighbours an isolated pair
    least = np.full(value.shape, math.inf)
    has = np.diff(graph.indptr) > 0
    if len(ends):
        least[has] = np.minimum.reduceat(share, graph.indptr[:-1][has], axis=0)
    return np.where(isolated, least, 0.0)


@dataclass(frozen=True)
class SlotDuals:
    """The bound's prices as duals of the lot master's rows (``solvers/lots``): each
    pair's term (at least 0) on its one-lot row, ν per period (1..T), μ per limited
    organization and period, λ per capped offer (``Offer.key``). For every lot l,
    ``net_l - Σ_{o∈l} pair - Σ_{p forming} ν_p - Σ μ - λ volume_l ≤ 0`` (the argument
    of the module docstring), so these duals are feasible for the lot LP's dual and
    their objective is the bound; and any duals ≥ 0 give a valid Lagrangian bound."""

    bound: float  # their objective: the bound, rounded up
    pair: dict[tuple[str, str], float]  # (org_id, category_id) -> term
    formation: np.ndarray  # ν_1..ν_T (zeros without a central limit)
    own: dict[str, np.ndarray]  # org_id -> μ_{o,1..T}
    capacity: dict[tuple[str, str], float]  # Offer.key -> λ_s


@dataclass
class SlotPrices:
    """The bound (rounded up), the prices it was found at, the relaxation, whose
    choices at those prices suggest lots (``formulations/priced_lots.py``), and the
    pairs' (bridged) terms the bound sums, per category."""

    bound: float
    prices: np.ndarray
    relaxation: _Relaxation
    terms: list[np.ndarray]

    def duals(self) -> SlotDuals:
        """The prices and the pairs' terms (bridged, as in the bound) as ``SlotDuals``."""
        rel = self.relaxation
        charges = rel.charges(self.prices)
        nu, mu = rel.split(self.prices)
        pair: dict[tuple[str, str], float] = {}
        capacity: dict[tuple[str, str], float] = {}
        for cat, best in zip(rel.categories, self.terms, strict=True):
            for org, term in zip(cat.orgs, best.tolist(), strict=True):
                pair[(org, cat.category_id)] = max(0.0, term)
            for k, row in cat.rows.items():
                capacity[cat.offers[k].key] = float(charges.capacity[row])
        own = {org: mu[i].copy() for i, org in enumerate(rel.own_orgs)}
        return SlotDuals(self.bound, pair, np.asarray(nu, dtype=float).copy(), own, capacity)


def slot_priced_bound(inst: Instance, lower: float = 0.0, seconds: float = 10.0) -> float:
    """The bound of the module docstring at the best prices found within `seconds` (a
    Polyak subgradient search aiming at `lower`, a plan's value); without a central
    or an own limit that can bind, the bound at zero prices. Rounded up."""
    return slot_prices(inst, lower, seconds).bound


def slot_prices(
    inst: Instance,
    lower: float = 0.0,
    seconds: float = 10.0,
    relaxation: _Relaxation | None = None,
    start: np.ndarray | None = None,
) -> SlotPrices:
    """``slot_priced_bound`` with the prices found; the search may go on from an
    earlier one (its relaxation and prices)."""
    relaxation = _Relaxation(inst) if relaxation is None else relaxation
    rhs = relaxation.capacity()
    prices = np.zeros(relaxation.size) if start is None else start.copy()

    def total(terms: list[float], at: np.ndarray) -> float:
        return math.fsum(terms) + float(rhs @ at)

    terms, lhs = relaxation.evaluate(prices)
    best_value, best_prices = total(terms, prices), prices.copy()
    if prices.size > relaxation.caps.size:
        end = time.perf_counter() + seconds
        step, stall = 1.0, 0
        moved = prices.size - relaxation.caps.size  # capacity prices: price_capacity
        for _ in range(ROUNDS):
            gradient = rhs - lhs
            gradient[moved:] = 0.0
            norm = float(gradient @ gradient)
            value = total(terms, prices)
            if norm < 1e-12 or time.perf_counter() > end:
                break
            target = max(value - lower, 1e-9 * abs(value))
            prices = np.maximum(0.0, prices - step * target / norm * gradient)
            terms, lhs = relaxation.evaluate(prices)
            value = total(terms, prices)
            if value < best_value - 1e-9 * abs(best_value):
                best_value, best_prices, stall = value, prices.copy(), 0
            else:
                stall += 1
                if stall >= STALL:
                    step, stall = step / 2, 0
                    if step < 1e-4:
                        break
    if relaxation.caps.size:
        capacity = relaxation.price_capacity(best_prices)
        if total(relaxation.evaluate(capacity)[0], capacity) < best_value:
            best_prices = capacity
    bests = relaxation.pair_terms(best_prices, bridged=True)
    final = [t for best in bests for t in best[best > 0].tolist()]
    # Σ rhs x price, exactly, rounded up
    exact = sum(
        (
            Fraction(a) * Fraction(b)
            for a, b in zip(rhs.tolist(), best_prices.tolist(), strict=True)
        ),
        Fraction(0),
    )
    priced = float(exact)
    if Fraction(priced) < exact:
        priced = math.nextafter(priced, math.inf)
    return SlotPrices(sum_up([*final, priced]), best_prices, relaxation, bests)
