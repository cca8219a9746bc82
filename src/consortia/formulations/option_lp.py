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
from typing import NamedTuple

import highspy
import numpy as np
import scipy.sparse as sp

from consortia.backend.highs import new_highs, run
from consortia.data.instance import Instance
from consortia.formulations.bounds import sum_up
from consortia.formulations.slot_bound import _Relaxation


class OptionLp(NamedTuple):
    """max cost·x s.t. lower ≤ A x ≤ upper_rows, 0 ≤ x ≤ upper."""

    a: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray
    upper: np.ndarray


FAMILIES = ("pair", "link", "neighbour")


def build(rel: _Relaxation, families: set[str]) -> OptionLp | None:
    """The LP of the module docstring with the `families` of rows asked for; None
    when no pair has an option of positive value."""
    charges = rel.charges(np.zeros(rel.size))
    horizon, limit = rel.horizon, rel.limit
    own_row = {o: i for i, o in enumerate(rel.own_orgs)}
    values: list[np.ndarray] = []
    pairs: list[np.ndarray] = []
    option: list[np.ndarray] = []
    own: list[np.ndarray] = []
    lead: list[int] = []
    start: list[int] = []
    most: list[int] = []
    bound_x: list[float] = []
    neighbour_blocks: list[tuple[int, sp.coo_matrix]] = []
    pair_base = z_base = 0
    for cat in rel.categories:
        n = len(cat.ready)
        rows = np.array([own_row.get(o, -1) for o in cat.orgs])
        for opt in cat.options:
            found = rel.option_values(cat, opt, charges)
            if found is None:
                continue
            starts, value, _ = found
            graph = cat.graph if "neighbour" in families and opt.fewest >= 2 else None
            for j, sigma in enumerate(starts.tolist()):
                v = value[:, j]
                keep = v > 0
                if not keep.any():
                    continue
                if graph is not None:  # every pair that can join: any may bridge
                    keep = np.isfinite(v)
                idx = np.nonzero(keep)[0]
                k = len(lead)
                lead.append(opt.lead)
                start.append(sigma)
                most.append(opt.members)
                bound_x.append(float(n))
                values.append(v[idx])
                pairs.append(pair_base + idx)
                option.append(np.full(len(idx), k))
                own.append(rows[idx])
                if graph is not None:
                    block = sp.identity(len(idx), format="csr") - graph[idx][:, idx]
                    neighbour_blocks.append((z_base, block.tocoo()))
                z_base += len(idx)
        pair_base += n
    if not values:
        return None
    v_all = np.concatenate(values)
    p_all, k_all, o_all = np.concatenate(pairs), np.concatenate(option), np.concatenate(own)
    m, nk = len(v_all), len(lead)
    lead_k, start_k = np.array(lead), np.array(start)
    link = "link" in families
    ncol = m + (nk if link else 0)
    zs = np.arange(m)
    blocks, lo, hi = [], [], []

    def rows_of(r, c, v, shape_rows, lower, upper):
        blocks.append(sp.csr_matrix((v, (r, c)), shape=(shape_rows, ncol)))
        lo.append(np.broadcast_to(np.asarray(lower, float), shape_rows))
        hi.append(np.broadcast_to(np.asarray(upper, float), shape_rows))

    rows_of(p_all, zs, np.ones(m), pair_base, -math.inf, 1.0)
    forming = [(lead_k[k_all] > step) for step in range(int(lead_k.max(initial=0)))]
    if link:
        xs = m + np.arange(nk)
        rows_of(
            np.concatenate([zs, zs]), np.concatenate([zs, m + k_all]),
            np.concatenate([np.ones(m), -np.ones(m)]), m, -math.inf, 0.0,
        )  # fmt: skip
        rows_of(
            np.concatenate([k_all, np.arange(nk)]), np.concatenate([zs, xs]),
            np.concatenate([np.ones(m), -np.array(most, float)]), nk, -math.inf, 0.0,
        )  # fmt: skip
        if limit is not None and forming:
            steps = range(len(forming))
            c = np.concatenate([xs[lead_k > s] for s in steps])
            r = np.concatenate([start_k[lead_k > s] + s - 1 for s in steps])
            rows_of(r, c, np.ones(len(c)), horizon, -math.inf, float(limit))
    elif limit is not None and forming:
        share = 1.0 / np.array(most, float)[k_all]
        r = np.concatenate([start_k[k_all][f] + s - 1 for s, f in enumerate(forming)])
        c = np.concatenate([zs[f] for f in forming])
        v = np.concatenate([share[f] for f in forming])
        rows_of(r, c, v, horizon, -math.inf, float(limit))
    if rel.own_orgs and forming:
        limited = [f & (o_all >= 0) for f in forming]
        r = np.concatenate(
            [o_all[f] * horizon + start_k[k_all][f] + s - 1 for s, f in enumerate(limited)]
        )
        c = np.concatenate([zs[f] for f in limited])
        count = len(rel.own_orgs) * horizon
        rows_of(r, c, np.ones(len(c)), count, -math.inf, np.repeat(rel.own_limit, horizon))
    if neighbour_blocks:
        r = np.concatenate([b.row + base for base, b in neighbour_blocks])
        c = np.concatenate([b.col + base for base, b in neighbour_blocks])
        v = np.concatenate([b.data for _, b in neighbour_blocks])
        used = np.unique(r)
        rows_of(np.searchsorted(used, r), c, v, len(used), -math.inf, 0.0)
    a = sp.vstack(blocks).tocsc()
    cost = np.concatenate([v_all, np.zeros(ncol - m)])
    col_upper = np.concatenate([np.ones(m), np.array(bound_x)[: ncol - m]])
    return OptionLp(a, np.concatenate(lo), np.concatenate(hi), cost, col_upper)


def solve(lp_data: OptionLp) -> tuple[float, float, str]:
    """(HiGHS's value, the bound from its row duals, rounded up, and the model status)
    of max cost·x: for row duals y of the right signs (≥ 0 on rows with only an upper
    side, ≤ 0 on rows with only a lower one),
    max ≤ Σ_i side_i y_i + Σ_j upper_j max(0, cost_j − (Aᵀy)_j), whatever the
    solver's tolerances."""
    a, lo, hi, cost, upper = lp_data
    h = new_highs()
    h.setOptionValue("solver", "ipm")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(a.shape[1]), upper
    lp.row_lower_, lp.row_upper_ = lo, hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.sense_ = highspy.ObjSense.kMaximize
    h.passModel(lp)
    run(h)
    y = np.array(h.getSolution().row_dual)
    # a dual of the right sign for each finite side; then max c.x <= Σ rhs y + Σ u (c - A'y)+
    y = np.where(np.isinf(hi), np.minimum(y, 0.0), np.where(np.isinf(lo), np.maximum(y, 0.0), y))
    rhs = np.where(y > 0, hi, np.where(y < 0, lo, 0.0))
    reduced = cost - a.T @ y
    bound = sum_up([*(rhs * y).tolist(), *(np.maximum(reduced, 0.0) * upper).tolist()])
    status = h.modelStatusToString(h.getModelStatus())
    return h.getInfo().objective_function_value, bound, status


def option_lp_bound(inst: Instance, families: set[str] | None = None) -> float:
    """The bound of the module docstring (all families unless told): at least the
    net value of every plan. Without options (nothing pays), 0."""
    lp = build(_Relaxation(inst), set(FAMILIES) if families is None else families)
    return 0.0 if lp is None else solve(lp)[1]
