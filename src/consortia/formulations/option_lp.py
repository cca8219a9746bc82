"""A relaxation over shared options: the slot-priced bound's LP with link and
neighbour rows (a measuring tool, not in the solve: ``benchmarks/option_lp.py``).

The slot-priced bound (``formulations/slot_bound.py``) credits every demand pair its
best option — a lead level L (member counts n_lo..n_hi), an availability group and a
start σ, on the best offer serving the pair at the price of the level's largest
volume — at a share 1/n_hi of a formation, whatever the other pairs choose. This
module builds the LP over the same options (values at zero prices)

    max  Σ_{o,k} v_ok z_ok
    s.t. Σ_k z_ok ≤ 1                       each pair in one lot           (pair)
         z_ok ≤ x_k                          a lot of k holds o once        (link)
         Σ_o z_ok ≤ n_hi x_k                 member counts of k's lots      (link)
         Σ_{k forming in p} x_k ≤ W          central formation limit        (link)
         Σ_{k forming in p} z_ok / n_hi ≤ W  (without link: the slot shares)
         Σ_{k∋o forming in p} z_ok ≤ k(o)     own formation limits
         z_ok ≤ Σ_{j∈N(o)} z_jk              a member of a lot of ≥ 2 has a
                                             neighbour in it (n_lo ≥ 2)  (neighbour)

where x_k counts the lots of option k and z_ok says that pair o is in one. The LP
has a column for every pair that can join an option with a positive value there
and, where neighbour rows apply, for every pair that can join it (any may be a
bridge). From a plan, x_k = its lots at option k and z_ok = 1 for their members
with a column satisfy every row (a lot's members without a column are worth
nothing there and, without neighbour rows, nobody needs them: so there is no
lower member count), and each lot's net value is at most Σ v_ok over its members
(the slot-priced bound's argument at zero prices), at most the sum over those
with a column: the LP's value bounds every plan.
Without the link and neighbour rows it is the slot-priced bound's Lagrangian dual
(without the bridge charge). ``option_lp_bound`` recomputes the bound from the
LP's row duals (any duals give a valid bound, whatever the solver's tolerances);
x_k ≤ (pairs of the category) bounds the lot counts.

Not part of the solve: the LP is large (a column per pair, option and start;
``models/national.md``, "A relaxation over shared options", for its size and
time on a 210-body region of the generated 5,000-body instance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import highspy
import numpy as np
import scipy.sparse as sp

from consortia.backend.highs import new_highs, run
from consortia.data.instance import Instance
from consortia.formulations.bounds import dual_bound
from consortia.formulations.slot_bound import _Relaxation


class OptionLp(NamedTuple):
    """max cost·x s.t. lower ≤ A x ≤ upper_rows, 0 ≤ x ≤ upper."""

    a: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray
    upper: np.ndarray


FAMILIES = ("pair", "link", "neighbour")


@dataclass
class _Candidates:
    """The LP's z columns (value, pair, option, own-limit row or -1) and, per option,
    its lead, start, largest member count and the most lots it can have; the blocks
    ``I - graph`` of the options under neighbour rows (first column, block)."""

    value: np.ndarray
    pair: np.ndarray
    option: np.ndarray
    own: np.ndarray
    lead: np.ndarray
    start: np.ndarray
    most: np.ndarray
    lots: np.ndarray
    pairs: int
    neighbour_blocks: list[tuple[int, sp.coo_matrix]]

    def forming(self) -> list[np.ndarray]:
        """Per step s of a formation, the z columns whose option is still forming
        s periods after its start."""
        lead = self.lead[self.option]
        return [lead > step for step in range(int(self.lead.max(initial=0)))]


def _candidates(rel: _Relaxation, neighbours: bool) -> _Candidates | None:
    """Every (pair, option, start) of positive value at zero prices and, under
    neighbour rows, every pair that can join such an option (any may bridge)."""
    charges = rel.charges(np.zeros(rel.size))
    own_row = {o: i for i, o in enumerate(rel.own_orgs)}
    columns: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    options: list[tuple[int, int, int, float]] = []
    blocks: list[tuple[int, sp.coo_matrix]] = []
    pair_base = z_base = 0
    for cat in rel.categories:
        rows = np.array([own_row.get(o, -1) for o in cat.orgs])
        for opt in cat.options:
            found = rel.option_values(cat, opt, charges)
            if found is None:
                continue
            starts, value, _ = found
            graph = cat.graph if neighbours and opt.fewest >= 2 else None
            for j, sigma in enumerate(starts.tolist()):
                v = value[:, j]
                keep = v > 0
                if not keep.any():
                    continue
                if graph is not None:
                    keep = np.isfinite(v)
                idx = np.nonzero(keep)[0]
                k = len(options)
                options.append((opt.lead, sigma, opt.members, float(len(cat.ready))))
                columns.append((v[idx], pair_base + idx, np.full(len(idx), k), rows[idx]))
                if graph is not None:
                    block = sp.identity(len(idx), format="csr") - graph[idx][:, idx]
                    blocks.append((z_base, block.tocoo()))
                z_base += len(idx)
        pair_base += len(cat.ready)
    if not columns:
        return None
    value, pair, option, own = (np.concatenate(parts) for parts in zip(*columns, strict=True))
    lead, start, most, lots = (np.array(parts) for parts in zip(*options, strict=True))
    return _Candidates(value, pair, option, own, lead, start, most, lots, pair_base, blocks)


class _Rows:
    """Rows of the LP, gathered block by block over `columns` columns."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.blocks: list[sp.csr_matrix] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []

    def add(self, r, c, v, count: int, lower, upper) -> None:
        self.blocks.append(sp.csr_matrix((v, (r, c)), shape=(count, self.columns)))
        self.lower.append(np.broadcast_to(np.asarray(lower, float), count))
        self.upper.append(np.broadcast_to(np.asarray(upper, float), count))


def add_pair_rows(rows: _Rows, cand: _Candidates) -> None:
    """Σ_k z_ok ≤ 1: each pair in one lot."""
    z = np.arange(len(cand.value))
    rows.add(cand.pair, z, np.ones(len(z)), cand.pairs, -math.inf, 1.0)


def add_link_rows(rows: _Rows, cand: _Candidates, limit: int | None, horizon: int) -> None:
    """z_ok ≤ x_k, Σ_o z_ok ≤ n_hi x_k and Σ_{k forming in p} x_k ≤ W (the x columns
    follow the z columns)."""
    m, nk = len(cand.value), len(cand.lead)
    z, x = np.arange(m), m + np.arange(nk)
    ones = np.ones(m)
    rows.add(np.concatenate([z, z]), np.concatenate([z, m + cand.option]),
             np.concatenate([ones, -ones]), m, -math.inf, 0.0)  # fmt: skip
    rows.add(np.concatenate([cand.option, np.arange(nk)]), np.concatenate([z, x]),
             np.concatenate([ones, -cand.most.astype(float)]), nk, -math.inf, 0.0)  # fmt: skip
    steps = range(int(cand.lead.max(initial=0)))
    if limit is not None and len(steps):
        c = np.concatenate([x[cand.lead > s] for s in steps])
        r = np.concatenate([cand.start[cand.lead > s] + s - 1 for s in steps])
        rows.add(r, c, np.ones(len(c)), horizon, -math.inf, float(limit))


def add_slot_shares(rows: _Rows, cand: _Candidates, limit: int | None, horizon: int) -> None:
    """Σ_{k forming in p} z_ok / n_hi ≤ W: the slot-priced bound's formation count."""
    forming = cand.forming()
    if limit is None or not forming:
        return
    z = np.arange(len(cand.value))
    share = 1.0 / cand.most[cand.option].astype(float)
    start = cand.start[cand.option]
    r = np.concatenate([start[f] + s - 1 for s, f in enumerate(forming)])
    c = np.concatenate([z[f] for f in forming])
    v = np.concatenate([share[f] for f in forming])
    rows.add(r, c, v, horizon, -math.inf, float(limit))


def add_own_rows(rows: _Rows, cand: _Candidates, rel: _Relaxation) -> None:
    """Σ_{k∋o forming in p} z_ok ≤ k(o) for each limited organization."""
    limited = [f & (cand.own >= 0) for f in cand.forming()]
    if not rel.own_orgs or not limited:
        return
    horizon = rel.horizon
    z = np.arange(len(cand.value))
    start = cand.start[cand.option]
    r = np.concatenate([cand.own[f] * horizon + start[f] + s - 1 for s, f in enumerate(limited)])
    c = np.concatenate([z[f] for f in limited])
    count = len(rel.own_orgs) * horizon
    rows.add(r, c, np.ones(len(c)), count, -math.inf, np.repeat(rel.own_limit, horizon))


def add_neighbour_rows(rows: _Rows, cand: _Candidates) -> None:
    """z_ok − Σ_{j∈N(o)} z_jk ≤ 0 where the option's lots hold two members or more."""
    if not cand.neighbour_blocks:
        return
    r = np.concatenate([b.row + base for base, b in cand.neighbour_blocks])
    c = np.concatenate([b.col + base for base, b in cand.neighbour_blocks])
    v = np.concatenate([b.data for _, b in cand.neighbour_blocks])
    used = np.unique(r)
    rows.add(np.searchsorted(used, r), c, v, len(used), -math.inf, 0.0)


def build(rel: _Relaxation, families: set[str]) -> OptionLp | None:
    """The LP of the module docstring with the `families` of rows asked for; None
    when no pair has an option of positive value."""
    cand = _candidates(rel, "neighbour" in families)
    if cand is None:
        return None
    link = "link" in families
    m = len(cand.value)
    rows = _Rows(m + (len(cand.lead) if link else 0))
    add_pair_rows(rows, cand)
    if link:
        add_link_rows(rows, cand, rel.limit, rel.horizon)
    else:
        add_slot_shares(rows, cand, rel.limit, rel.horizon)
    add_own_rows(rows, cand, rel)
    if "neighbour" in families:
        add_neighbour_rows(rows, cand)
    lots = len(cand.lead) if link else 0  # x columns
    cost = np.concatenate([cand.value, np.zeros(lots)])
    upper = np.concatenate([np.ones(m), cand.lots[:lots]])
    return OptionLp(
        sp.vstack(rows.blocks).tocsc(),
        np.concatenate(rows.lower),
        np.concatenate(rows.upper),
        cost,
        upper,
    )


def solve(lp_data: OptionLp) -> tuple[float, float, str]:
    """(HiGHS's value, the bound from its row duals, rounded up, and the model status)
    of max cost·x, by interior point (``solve_max_lp``)."""
    a, lo, hi, cost, upper = lp_data
    value, bound, status, _ = solve_max_lp(a, lo, hi, cost, upper, "ipm")
    return value, bound, status


def solve_max_lp(
    a: sp.csc_matrix,
    lo: np.ndarray,
    hi: np.ndarray,
    cost: np.ndarray,
    upper: np.ndarray,
    solver: str | None = None,
) -> tuple[float, float, str, np.ndarray]:
    """``max cost·x`` over ``lo ≤ A x ≤ hi``, ``0 ≤ x ≤ upper``: (HiGHS's value, a
    bound from its row duals, rounded up, the model status, its point clipped to the
    bounds, zeros without one). For row duals y of the right signs (≥ 0 on rows with
    only an upper side, ≤ 0 on rows with only a lower one),
    max ≤ Σ_i side_i y_i + Σ_j upper_j max(0, cost_j − (Aᵀy)_j), whatever the
    solver's tolerances."""
    h = new_highs()
    if solver is not None:
        h.setOptionValue("solver", solver)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(a.shape[1]), upper
    lp.row_lower_, lp.row_upper_ = lo, hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.sense_ = highspy.ObjSense.kMaximize
    h.passModel(lp)
    run(h)
    solution = h.getSolution()
    # without duals (a solver failure), y = 0 still gives a valid, if weak, bound
    y = np.array(solution.row_dual) if solution.dual_valid else np.zeros(len(lo))
    # a dual of the right sign for each finite side; then max c.x <= Σ rhs y + Σ u (c - A'y)+
    y = np.where(np.isinf(hi), np.minimum(y, 0.0), np.where(np.isinf(lo), np.maximum(y, 0.0), y))
    side = np.where(y > 0, hi, np.where(y < 0, lo, 0.0))
    bound = dual_bound(side, y, cost - a.T @ y, upper)
    status = h.modelStatusToString(h.getModelStatus())
    x = np.clip(np.array(solution.col_value), 0.0, upper) if solution.value_valid else None
    value = h.getInfo().objective_function_value
    return value, bound, status, np.zeros(a.shape[1]) if x is None else x


def option_lp_bound(inst: Instance, families: set[str] | None = None) -> float:
    """The bound of the module docstring (all families unless told): at least the
    net value of every plan. Without options (nothing pays), 0."""
    lp = build(_Relaxation(inst), set(FAMILIES) if families is None else families)
    return 0.0 if lp is None else solve(lp)[1]
