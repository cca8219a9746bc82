"""The relaxation over shared options, by column generation (a measuring tool like
``option_lp.py``, not in the solve: ``benchmarks/option_lp.py --columns``).

``formulations/option_lp.py`` writes the relaxation over shared options as one LP
(pair, link and neighbour rows) and measures how much it tightens the slot-priced
bound; that LP is too large to solve beyond a region. Here it is decomposed, with a
valid bound every round. On a 210-body region it reaches the LP's value in about a
sixth of the time; at 1,000 bodies and more its rounds converge too slowly to beat
the slot-priced bound within a solve's time limit (``models/national.md``), so the
solve does not call it.
An option k of a category is a lead level L (member counts up to n_hi), an
availability group and a start σ (``slot_bound._Options``); pair o joining a lot of
k is worth at most ``v_ok = M(live) A_o - κ`` (the slot-priced bound's bracket at
zero prices: the price of the level's largest volume, -inf where o cannot join).

**Master.** Columns are *option images* ``(k, z)``: z in the option's polytope

    P_k = {z ∈ [0, 1]^pairs : Σ_o z_o ≤ n_hi,
           z_o ≤ Σ_{j∈N(o)} z_j  (when the level's lots hold two members or more)}

of value ``Σ_o v_ok z_o``, using ``z_o`` of pair o's row (Σ ≤ 1), one formation in
each period σ..σ+L-1 (Σ ≤ W) and ``z_o`` of each limited organization's own row in
those periods (Σ ≤ k(o)). The image of a lot (z = 1 on its members) lies in P_k,
and each lot's net value is at most its image's value (the slot-priced bound's
argument), so the master LP over all images bounds every plan: it is the option LP
with link and neighbour rows in Dantzig-Wolfe form (a cone's extreme rays). An
own-limit row joins the LP only once the LP's solution breaks it (a dual of 0 for
the others keeps every bound below valid).

**Bound at any duals** ``y ≥ 0`` (μ_o on pairs, ν_p on formations, η_op on own rows).
With ``w_o = v_ok - μ_o - Σ_{p=σ}^{σ+L-1} η_op`` and ``C_k = Σ_p ν_p`` over the
forming periods, a lot l of option k has reduced value ``rc_l = Σ_{o∈l} w_o - C_k``
and every plan is worth at most ``b·y + Σ_lots rc_l``. Two valid bounds on the sum:

- *per option*: ``rc_l ≤ U_k``, the largest of ``Σ w_o z_o - C_k`` over P_k (an LP,
  bounded from its duals), or the cheaper ``Σ`` of the n_hi largest positive
  ``w_o - b_o`` (``b_o`` the bridge charge of ``slot_bound.bridge_charge``) minus
  C_k; a lot forms in period σ, so at most W lots of k exist and
  ``Σ_lots rc_l ≤ max{Σ_k U_k t_k : Σ_{k forming in p} t_k ≤ W, 0 ≤ t ≤ W}``, bounded by
  that LP's duals (``_formation_term``);
- *per pair*: the bridge-charge argument and ``|l| ≤ n_hi`` give
  ``rc_l ≤ Σ_{o∈l} (w_o - b_o - C_k / n_hi)^+``, and each pair is in one lot:
  ``Σ_lots rc_l ≤ Σ_o max_k (w_ok - b_ok - C_k / n_hi)^+`` (the slot-priced bound's form).

The smaller is added to ``b·y``. When no option's ``U_k`` is positive the bound is
the master LP's value: the option LP itself (north_east of the generated 5,000-body
instance: 810.7 M against a slot-priced 1,029.9 M and a proved optimum ≤ 782.6 M).
Capacity, locks and the supplier rules are dropped (a relaxation).

**Pricing.** Duals are smoothed towards the best bound's (Wentges); every option is
screened by the cheap U_k, the most positive get the LP (restricted to positive
pairs and their neighbours, which loses nothing: a non-positive pair is worth
keeping only as a positive neighbour's bridge) within a time budget, and its
solution is the round's column for the option.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from consortia.backend.highs import new_highs, run
from consortia.formulations.bounds import dual_bound, sum_up
from consortia.formulations.option_lp import solve_max_lp
from consortia.formulations.slot_bound import _Category, _Options, _Relaxation, bridge_charge
from consortia.rules.plan import LotOutcome

_DEBUG = bool(os.environ.get("CONSORTIA_DEBUG_LOTS"))  # per-round figures on stderr
SMOOTHING = 0.5  # weight of the best bound's duals in the pricing point
# the pricing LPs of a round: at most these seconds, or this share of the time left
ROUND_SECONDS, ROUND_SHARE = 2.0, 0.1
COLUMNS_PER_ROUND = 2000
CLOSED = 1e-9  # relative: the bound has met the master's value
Z_EPS = 1e-9


@dataclass
class OptionBound:
    """What ``option_bound`` found: the best bound, its rounds, columns and the
    master LP's last value (a plan's value is at most the bound)."""

    bound: float
    rounds: int
    columns: int
    lp: float


@dataclass
class _Block:
    """One category's option at every start that fits: values v_ok (pairs x starts,
    -inf where the pair cannot join) and the first pair's row."""

    cat: _Category
    opt: _Options
    starts: np.ndarray
    raw: np.ndarray
    base: int

    @property
    def graph(self) -> sp.csr_matrix | None:
        """The graph when the option's lots must be connected and hold two or more."""
        return self.cat.graph if self.opt.fewest >= 2 else None


def _top_sum(values: np.ndarray, count: int) -> np.ndarray:
    """Per column, the sum of its `count` largest positive entries."""
    positive = np.where(values > 0, values, 0.0)
    if count < positive.shape[0]:
        positive = -np.partition(-positive, count - 1, axis=0)[:count]
    return positive.sum(axis=0)


def _packing_lp(
    a: sp.csc_matrix, cost: np.ndarray, col_upper: np.ndarray, row_upper: np.ndarray
) -> tuple[float, np.ndarray]:
    """``max cost·x`` over ``A x ≤ row_upper`` and ``0 ≤ x ≤ col_upper``: an upper
    bound from the LP's duals (``option_lp.solve_max_lp``) and its point."""
    lower = np.full(a.shape[0], -math.inf)
    _, bound, _, x = solve_max_lp(a, lower, row_upper, cost, col_upper)
    return bound, x


def price_option(
    w: np.ndarray, graph: sp.csr_matrix | None, most: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """An upper bound on ``max Σ w_o z_o`` over P_k (count ≤ `most`; neighbour rows
    with a `graph`) and a point of P_k attaining about it: (bound, pairs, z > 0)."""
    positive = np.nonzero(w > 0)[0]
    if not len(positive):
        return 0.0, positive, np.zeros(0)
    if graph is None:
        chosen = positive[np.argsort(-w[positive], kind="stable")][:most]
        return sum_up(w[chosen].tolist()), chosen, np.ones(len(chosen))
    marked = np.zeros(len(w))
    marked[positive] = 1.0
    near = np.nonzero((((graph @ marked) > 0) | (marked > 0)) & np.isfinite(w))[0]
    n = len(near)
    block = (sp.identity(n, format="csr") - graph[near][:, near]).tocsr()
    a = sp.vstack([sp.csr_matrix(np.ones((1, n))), block]).tocsc()
    upper_rows = np.concatenate([[float(most)], np.zeros(n)])
    bound, z = _packing_lp(a, w[near], np.ones(n), upper_rows)
    keep = z > Z_EPS
    return bound, near[keep], z[keep]


def _formation_term(upper: np.ndarray, start: np.ndarray, lead: np.ndarray, limit: int) -> float:
    """At least ``max{Σ_k U_k t_k : Σ_{k forming in p} t_k ≤ W, 0 ≤ t ≤ W}``, from the
    duals of that LP (any y ≥ 0 gives ``W Σ y + W Σ_k (U_k - y(k))^+``)."""
    if not len(upper):
        return 0.0
    horizon = int((start + lead).max())
    cols = np.concatenate([np.nonzero(lead > s)[0] for s in range(int(lead.max()))])
    rows = np.concatenate([start[lead > s] + s - 1 for s in range(int(lead.max()))])
    a = sp.csc_matrix((np.ones(len(cols)), (rows, cols)), shape=(horizon, len(upper)))
    most = np.full(len(upper), float(limit))
    return _packing_lp(a, upper, most, np.full(horizon, float(limit)))[0]


class OptionMaster:
    """The master LP of the module docstring over the option images found so far."""

    def __init__(self, rel: _Relaxation) -> None:
        self.rel = rel
        horizon = rel.horizon
        zero = rel.charges(np.zeros(rel.size))
        self.blocks: list[_Block] = []
        base = 0
        for cat in rel.categories:
            for opt in cat.options:
                found = rel.option_values(cat, opt, zero)
                if found is not None:
                    self.blocks.append(_Block(cat, opt, found[0], found[1], base))
            base += len(cat.ready)
        self.pairs = base
        self.central = horizon if rel.limit is not None else 0
        self.own = len(rel.own_orgs)
        self.rhs = np.concatenate(
            [
                np.ones(self.pairs),
                np.full(self.central, float(rel.limit or 0)),
                np.repeat(rel.own_limit, horizon),
            ]
        )
        # own-limit rows join the LP only once its solution breaks them (most never
        # bind); until then their duals are 0, which keeps every bound valid
        self.h = new_highs()
        # columns join a primal-feasible basis: primal simplex goes on from it
        self.h.setOptionValue("simplex_strategy", 4)
        fixed = self.pairs + self.central
        empty = np.zeros(0, dtype=np.int32)
        self.h.addRows(
            fixed, np.full(fixed, -math.inf), self.rhs[:fixed], 0, empty, empty, np.zeros(0)
        )
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.columns = 0
        self.own_rows: dict[int, int] = {}  # own row (index into rhs) -> LP row
        self.own_uses: dict[int, list[tuple[int, float]]] = {}  # own row -> (column, z)

    def add(self, block: _Block, j: int, members: np.ndarray, z: np.ndarray) -> None:
        """The image (option `block` at start index `j`, z on `members`) as a column."""
        sigma, lead = int(block.starts[j]), block.opt.lead
        horizon = self.rel.horizon
        rows = [block.base + members]
        values = [z]
        if self.central and lead:
            rows.append(self.pairs + sigma - 1 + np.arange(lead))
            values.append(np.ones(lead))
        own = block.cat.own[members]
        limited = own < self.own
        if lead and limited.any():
            first = self.pairs + self.central + own[limited] * horizon + sigma - 1
            own_index = (first[:, None] + np.arange(lead)[None, :]).ravel().tolist()
            own_z = np.repeat(z[limited], lead).tolist()
            active = []
            for row, value in zip(own_index, own_z, strict=True):
                self.own_uses.setdefault(row, []).append((self.columns, value))
                if row in self.own_rows:
                    active.append((self.own_rows[row], value))
            if active:
                rows.append(np.array([r for r, _ in active]))
                values.append(np.array([v for _, v in active]))
        index = np.concatenate(rows).astype(np.int32)
        cost = float(block.raw[members, j] @ z)
        self.h.addCol(cost, 0.0, math.inf, len(index), index, np.concatenate(values))
        self.columns += 1

    def _add_broken_rows(self, x: np.ndarray) -> bool:
        """Add the own-limit rows that the LP point `x` breaks; whether there were any."""
        broken = [
            row
            for row, uses in self.own_uses.items()
            if row not in self.own_rows
            and sum(x[c] * v for c, v in uses) > self.rhs[row] * (1 + 1e-9) + 1e-9
        ]
        for row in broken:
            uses = self.own_uses[row]
            self.own_rows[row] = self.h.getNumRow()
            index = np.array([c for c, _ in uses], dtype=np.int32)
            self.h.addRow(
                -math.inf, self.rhs[row], len(index), index, np.array([v for _, v in uses])
            )
        return bool(broken)

    def add_lots(self, lots: list[LotOutcome]) -> None:
        """The images of lots (a plan's: the master starts near its value); a lot
        whose option the relaxation lacks is left out."""
        blocks = {(b.cat.category_id, b.opt.lead, b.opt.available): b for b in self.blocks}
        categories = {cat.category_id: cat for cat in self.rel.categories}
        rows = {c: {o: i for i, o in enumerate(cat.orgs)} for c, cat in categories.items()}
        for out in lots:
            lot = out.lot
            cat = categories.get(lot.category_id)
            offer = next(
                (f for f in (cat.offers if cat else []) if f.supplier_id == lot.supplier_id), None
            )
            if cat is None or offer is None:
                continue
            block = blocks.get((lot.category_id, out.lead, offer.available_from))
            if block is None:
                continue
            j = np.nonzero(block.starts == lot.start)[0]
            members = np.array([rows[lot.category_id][o] for o in lot.members])
            if len(j) and np.isfinite(block.raw[members, j[0]]).all():
                self.add(block, int(j[0]), members, np.ones(len(members)))

    def duals(self) -> tuple[np.ndarray, float]:
        """The master's row duals (≥ 0, 0 on own-limit rows not in the LP) and its
        value, once its solution keeps every own limit; zeros before any column."""
        y = np.zeros(len(self.rhs))
        if not self.columns:
            return y, 0.0
        while True:
            run(self.h)
            solution = self.h.getSolution()
            if not solution.dual_valid:
                return y, 0.0
            if not self._add_broken_rows(np.array(solution.col_value)):
                break
        row_dual = np.maximum(np.array(solution.row_dual), 0.0)
        fixed = self.pairs + self.central
        y[:fixed] = row_dual[:fixed]
        if self.own_rows:
            own, lp_row = (np.array(v) for v in zip(*self.own_rows.items(), strict=True))
            y[own] = row_dual[lp_row]
        return y, self.h.getInfo().objective_function_value

    def start_duals(self, prices: np.ndarray) -> np.ndarray:
        """Duals at which no image has a positive reduced value: the slot-priced
        bound's prices (ν, η; capacity dropped) and μ_o the pair's term there (its best
        ``w_o - b_o - C_k / n_hi``, at least 0); their ``b·y`` is that bound."""
        rel = self.rel
        y = np.zeros(len(self.rhs))
        at = prices.copy()
        at[at.size - rel.caps.size :] = 0.0
        terms = rel.pair_terms(at, bridged=True)
        y[: self.pairs] = np.concatenate(terms) if terms else np.zeros(0)
        nu, eta = rel.split(at)
        y[self.pairs : self.pairs + self.central] = nu[: self.central]
        y[self.pairs + self.central :] = eta.ravel()
        return y


@dataclass
class _Priced:
    """The bound's parts at one dual point: ``b·y``, the per-pair term, and every
    option start whose U_k is positive (U_k, block, start index), largest first."""

    rows_term: float
    pair_term: float
    screened: list[tuple[float, int, int]]
    reduced: dict[int, np.ndarray]  # block -> w (pairs x starts)
    formation: np.ndarray  # running sums of ν

    def bound(self, master: OptionMaster, exact: dict[tuple[int, int], float]) -> float:
        """``b·y`` plus the smaller term, with the LP bounds `exact` on some U_k."""
        limit = master.rel.limit
        uppers, starts, leads = [], [], []
        for u, b, j in self.screened:
            u = min(u, exact.get((b, j), math.inf))
            if u > 0:
                block = master.blocks[b]
                if not block.opt.lead:
                    limit = None  # no formation row bounds its lots
                uppers.append(u)
                starts.append(int(block.starts[j]))
                leads.append(block.opt.lead)
        if not uppers:
            option_term = 0.0
        elif limit is None:
            option_term = math.inf
        else:
            option_term = _formation_term(
                np.array(uppers), np.array(starts, dtype=np.int64),
                np.array(leads, dtype=np.int64), limit,
            )  # fmt: skip
        return sum_up([self.rows_term, min(self.pair_term, option_term)])


def _evaluate(master: OptionMaster, y: np.ndarray) -> _Priced:
    """The parts of the bound of the module docstring at duals `y`."""
    rel = master.rel
    pairs, central, horizon = master.pairs, master.central, rel.horizon
    mu = y[:pairs]
    nu = y[pairs : pairs + central] if central else np.zeros(horizon)
    prices = np.zeros(rel.size)
    prices[central : central + master.own * horizon] = y[pairs + central :]
    charges = rel.charges(prices)
    cum = np.concatenate([[0.0], np.cumsum(nu)])
    per_pair = np.zeros(pairs)
    screened: list[tuple[float, int, int]] = []
    reduced: dict[int, np.ndarray] = {}
    for b, block in enumerate(master.blocks):
        cat, opt, s = block.cat, block.opt, block.starts
        found = rel.option_values(cat, opt, charges)
        if found is None:
            continue
        w = found[1] - mu[block.base : block.base + len(cat.ready)][:, None]
        graph = block.graph
        charged = w - bridge_charge(w, graph) if graph is not None else w
        cost = cum[s + opt.lead - 1] - cum[s - 1] if opt.lead else np.zeros(len(s))
        shared = np.max(charged - cost[None, :] / opt.members, axis=1, initial=0.0)
        rows = slice(block.base, block.base + len(cat.ready))
        per_pair[rows] = np.maximum(per_pair[rows], shared)
        upper = _top_sum(charged, opt.members) - cost
        screened += [(float(upper[j]), b, j) for j in np.nonzero(upper > 0)[0].tolist()]
        reduced[b] = w
    screened.sort(reverse=True)
    return _Priced(
        dual_bound(master.rhs, y, np.zeros(0), np.zeros(0)),
        sum_up(per_pair[per_pair > 0].tolist()),
        screened,
        reduced,
        cum,
    )


def option_bound(
    rel: _Relaxation,
    seconds: float,
    prices: np.ndarray | None = None,
    lots: list[LotOutcome] | None = None,
) -> OptionBound:
    """The least bound of the module docstring found within `seconds`, starting from
    the slot-priced bound's `prices` and the images of `lots` (a plan's)."""
    end = time.perf_counter() + seconds
    master = OptionMaster(rel)
    if lots:
        master.add_lots(lots)
    centre = master.start_duals(prices) if prices is not None else np.zeros(len(master.rhs))
    best = _evaluate(master, centre).bound(master, {}) if prices is not None else math.inf
    rounds, lp, last, alpha = 0, 0.0, -math.inf, SMOOTHING
    while time.perf_counter() < end:
        rounds += 1
        y, lp = master.duals()
        point = alpha * centre + (1 - alpha) * y
        round_start = time.perf_counter()
        priced = _evaluate(master, point)
        evaluated = time.perf_counter() - round_start
        budget = max(ROUND_SECONDS, ROUND_SHARE * (end - round_start))
        exact: dict[tuple[int, int], float] = {}
        added = 0
        for _, b, j in priced.screened[:COLUMNS_PER_ROUND]:
            if time.perf_counter() - round_start > budget or time.perf_counter() > end:
                break
            block = master.blocks[b]
            w = priced.reduced[b][:, j]
            sigma = int(block.starts[j])
            cost = priced.formation[sigma + block.opt.lead - 1] - priced.formation[sigma - 1]
            upper, members, z = price_option(w, block.graph, block.opt.members)
            exact[(b, j)] = upper - cost
            if len(members) and float(w[members] @ z) - cost > 1e-6:
                master.add(block, j, members, z)
                added += 1
        bound = priced.bound(master, exact)
        if bound < best:
            best, centre = bound, point
        if _DEBUG:
            print(
                f"[options] round {rounds} t={time.perf_counter() - end + seconds:.1f}"
                f" lp={lp:,.0f} bound={bound:,.0f} best={best:,.0f}"
                f" positive={len(priced.screened)} priced={len(exact)} added={added}"
                f" screen={evaluated:.1f}s round={time.perf_counter() - round_start:.1f}s",
                file=sys.stderr, flush=True,
            )  # fmt: skip
        if best <= lp + CLOSED * max(1.0, abs(lp)):
            break  # the bound met the master's value: the relaxation is solved
        stalled = not added or lp <= last + CLOSED * max(1.0, abs(lp))
        if stalled:  # the point's columns do not lift the master: price nearer its duals
            if alpha == 0.0 and not added:
                break
            alpha = alpha / 2 if alpha > 0.05 else 0.0
        last = lp
    return OptionBound(best, rounds, master.columns, lp)
