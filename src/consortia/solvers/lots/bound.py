"""A valid upper bound on the optimum from any duals and the pricing upper bounds.

For duals y >= 0 of the master rows and any plan (or any LP solution lambda over
all lots of the spec):  net <= b.y + sum_j max(0, rc_j) lambda_j.

Group the lots by pricing subproblem t (piece, start, lead level); rc_j <= U_t for
every lot j of t, with U_t the subproblem's upper bound. With x_t = sum_{j in t}
lambda_j, every aggregate that the master rows imply for lambda holds for x:

- members: a lot of t has >= n_lo(t) members, all ready by sigma_t, all served by
  the offer; so for every category c and period r,
  sum_{t in c, sigma_t <= r} n_lo(t) x_t <= #organizations of c ready by r, and per
  offer s, sum_{t on s} n_lo(t) x_t <= #organizations s serves;
- capacity: sum_{t on s} lo(t) x_t <= cap_s;
- formation: sum_{t forming in p} x_t <= W for every period p.

So  net <= b.y + max { sum_t U_t x_t : these rows, x >= 0 }, a small LP over the
subproblems with U_t > 0 (its value is 0 when pricing has converged, and the
bound is then the dual objective, i.e. the master LP).
"""

from __future__ import annotations

import math

import highspy
import numpy as np

from consortia.backend.highs import new_highs, run
from consortia.data.instance import Instance
from consortia.solvers.lots.pricing import CategoryPricing


def pricing_slack(inst: Instance, pricings: list[CategoryPricing], ubs: list[np.ndarray]) -> float:
    """max sum_t U_t x_t over the aggregate rows (see module docstring)."""
    horizon = inst.settings.horizon
    limit = inst.settings.max_parallel_formations
    costs: list[np.ndarray] = []
    rows: list[tuple[np.ndarray, np.ndarray, float]] = []  # (cols, coefs, rhs)
    form_cols: dict[int, list[np.ndarray]] = {}
    offset = 0
    for pr, ub in zip(pricings, ubs, strict=True):
        keep = np.nonzero(ub > 0)[0]  # every positive bound counts, however small
        if not len(keep):
            continue
        if not np.all(np.isfinite(ub[keep])):
            return math.inf
        s, data = pr.subs, pr.data
        cols = offset + np.arange(len(keep))
        costs.append(ub[keep])
        sigma, lead, nlo = s.sigma[keep], s.lead[keep], s.nlo[keep].astype(float)
        for r in np.unique(sigma):
            sel = sigma <= r
            rows.append((cols[sel], nlo[sel], float((data.ready <= r).sum())))
        for j, od in enumerate(data.offers):
            sel = s.offer[keep] == j
            if not sel.any():
                continue
            rows.append((cols[sel], nlo[sel], float(od.served.sum())))
            if math.isfinite(od.cap):
                rows.append((cols[sel], s.vlo[keep][sel], od.cap))
        if limit is not None:
            for p in range(1, horizon + 1):
                sel = (sigma <= p) & (p <= sigma + lead - 1)
                if sel.any():
                    form_cols.setdefault(p, []).append(cols[sel])
        offset += len(keep)
    if not offset:
        return 0.0
    for parts in form_cols.values():
        c = np.concatenate(parts)
        rows.append((c, np.ones(len(c)), float(limit or 0)))
    h = new_highs()
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    cost = np.concatenate(costs)
    h.addVars(offset, np.zeros(offset), np.full(offset, np.inf))
    h.changeColsCost(offset, np.arange(offset, dtype=np.int32), cost)
    starts, index, values, upper = [], [], [], []
    filled = 0
    for c, a, rhs in rows:
        starts.append(filled)
        filled += len(c)
        index.append(c.astype(np.int32))
        values.append(a.astype(float))
        upper.append(rhs)
    m = len(rows)
    h.addRows(
        m,
        np.full(m, -np.inf),
        np.array(upper),
        int(sum(len(i) for i in index)),
        np.array(starts, dtype=np.int32),
        np.concatenate(index),
        np.concatenate(values),
    )
    try:
        run(h)
    except RuntimeError:  # numerical trouble: no bound from this round
        return math.inf
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return math.inf  # unbounded cannot happen (every column sits in a member row)
    # the LP optimum is a valid bound only when dual feasible: use the dual
    # objective of the (clipped) row duals, which bounds sum U x for every x.
    duals = np.maximum(np.asarray(h.getSolution().row_dual, dtype=float), 0.0)
    # check dual feasibility: A^T y >= U column-wise; lift y if needed
    at_y = np.zeros(offset)
    for (c, a, _), y in zip(rows, duals, strict=True):
        if y:
            np.add.at(at_y, c, a * y)
    short = cost - at_y
    dual_value = float(np.dot(upper, duals))
    if (short > 0).any():  # any shortfall, however small: the bound must hold exactly
        # repair: every column is in a member row with coefficient >= 1 (n_lo >= 1);
        # raise that row's dual by the shortfall (over-estimates, stays valid)
        extra = 0.0
        first_rows: dict[int, tuple[float, float]] = {}
        for c, a, rhs in rows:
            for col, coef in zip(c.tolist(), a.tolist(), strict=True):
                if col not in first_rows:
                    first_rows[col] = (coef, rhs)
        for col in np.nonzero(short > 0)[0]:
            coef, rhs = first_rows[int(col)]
            extra += short[col] / coef * rhs
        dual_value += extra
    return max(dual_value, 0.0)
