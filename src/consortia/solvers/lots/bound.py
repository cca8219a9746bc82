"""A valid upper bound on the optimum from any duals and the pricing upper bounds.

For duals y >= 0 of the master rows and any plan (or any LP solution lambda over
all lots of the spec):  net <= b.y + sum_j max(0, rc_j) lambda_j. (net = sum_j
(rc_j + a_j.y) lambda_j and A lambda <= b for every plan: the master's rows,
rule 8b's included, are rules every plan keeps; b.y therefore holds
sum k(o) rho(o, p) and rc_j the charge of rho on the lot's members, as priced.)

Group the lots by pricing subproblem t (piece, start, lead level); rc_j <= U_t for
every lot j of t, with U_t the subproblem's upper bound. With x_t = sum_{j in t}
lambda_j (over the lots of t with rc_j > 0), every aggregate that the master rows
imply for lambda holds for x:

- members: a lot of t has >= n_lo(t) members, all ready by sigma_t (the pair's
  readiness r(o,c), spec section 9), all served by the offer; so for every
  category c and period r, sum_{t in c, sigma_t <= r} n_lo(t) x_t <= #organizations
  of c ready by r, and per offer s, sum_{t on s} n_lo(t) x_t <= #organizations s
  serves;
- capacity: sum_{t on s} lo(t) x_t <= cap_s;
- formation: sum_{t forming in p} x_t <= W for every period p.

And per organization (when the member values are given): rc_j = sum_{o in G_j} w_ot
- C_t <= sum_{o in G_j} max(0, w_ot) - C_t, so with z_ot = sum_{j in t, o in G_j}
lambda_j, the share s_t = sum_{j in t} rc_j lambda_j obeys
s_t <= U_t x_t,  s_t <= sum_o max(0, w_ot) z_ot - C_t x_t,  z_ot <= x_t,
and every organization is in at most one lot of its category:
sum_t z_ot <= 1; an organization o with an own limit (rule 8b) is in at most k(o)
lots forming in any period p: sum_{t forming in p} z_ot <= k(o), over the
subproblems of all categories. The few organizations with a positive value are
shared by all the subproblems with a positive bound, so this caps the slack far
below sum_t U_t x_t when the graph keeps U_t from being reached by many disjoint
lots.

So  net <= b.y + max { sum_t s_t : these rows }, a small LP (its value is 0 when
pricing has converged, and the bound is then the dual objective, i.e. the master
LP). Every variable has a finite upper bound u, so for the LP's own duals z >= 0
(whatever their accuracy) max <= rhs.z + sum_k u_k max(0, c_k - (A^T z)_k): that
is the value used, never the solver's primal objective.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from consortia.backend.highs import new_highs, run, set_time_limit
from consortia.data.instance import Instance
from consortia.formulations.bounds import dual_bound
from consortia.solvers.lots.pricing import CategoryPricing

LAZY_TOLERANCE = 1e-9  # a lazy row broken by less is not added (the bound stays valid)
MAX_MEMBER_ENTRIES = 2_000_000  # member values looked at for the per-organization rows
MAX_POSITIVE = 60_000  # positive ones kept as variables (the LP must stay a fraction of a second)

MemberValues = Callable[[np.ndarray], np.ndarray]  # rows -> w (rows x organizations)


class _Rows:
    """A sparse row-wise LP  max c.v  s.t.  A v <= rhs,  0 <= v <= upper, and the
    rows  v_a <= v_b  for the pairs (a, b) in ``lazy`` (added where violated)."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rhs: list[float] = []
        self.lazy: list[np.ndarray] = []  # (k, 2) arrays of pairs (a, b)
        self.lazy_keys: list[np.ndarray] = []  # a key per pair, for ``ActiveRows``

    def add(self, cols: np.ndarray, vals: np.ndarray, rhs: float) -> None:
        self.rows.append(np.full(len(cols), len(self.rhs)))
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.asarray(vals, dtype=float))
        self.rhs.append(rhs)

    def add_many(self, row_of: np.ndarray, cols: np.ndarray, vals: np.ndarray, rhs: np.ndarray):
        """Rows given in coordinate form, row_of numbered 0..len(rhs)-1."""
        self.rows.append(len(self.rhs) + np.asarray(row_of, dtype=np.int64))
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.asarray(vals, dtype=float))
        self.rhs.extend(np.asarray(rhs, dtype=float).tolist())

    def matrix(self, n: int) -> sp.csr_matrix:
        return sp.csr_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.rhs), n),
        )


@dataclass
class ActiveRows:
    """Keys of the lazy rows the bound LPs of a proof pass needed (a key names
    category, subproblem and organization of a row z_ot <= x_t): the next LP over
    the same subproblems starts with them instead of finding them again."""

    keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


def _solve_bound(
    cost: np.ndarray,
    upper: np.ndarray,
    rows: _Rows,
    time_limit: float | None,
    active: ActiveRows | None = None,
) -> tuple[float, np.ndarray | None]:
    """A valid upper bound on max cost.v over the rows (see module docstring): the
    repaired dual objective of whatever duals the LP has when it stops; and the
    LP's primal point (None without one).

    The pairs ``v_a <= v_b`` of ``rows.lazy`` (one per z_ot <= x_t: most of the
    rows, few of them binding) join the LP only where its point breaks them, and
    it is solved again from its basis. An LP without some of the rows is a
    relaxation of the full one, so its duals bound the full LP whenever the loop
    stops (``m200-seed2``: 702 of 26,152 rows needed, 1.3 s instead of 2.0 s).
    With ``active``, the rows it names are there from the start, and the rows
    added are named in it afterwards."""
    n = len(cost)
    a = rows.matrix(n)
    rhs = np.array(rows.rhs)
    pairs = np.concatenate(rows.lazy) if rows.lazy else np.empty((0, 2), dtype=np.int64)
    h = new_highs()
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addVars(n, np.zeros(n), upper)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    if time_limit is not None:
        set_time_limit(h, max(0.05, time_limit))
    csr = a.tocsr()
    h.addRows(
        len(rhs),
        np.full(len(rhs), -np.inf),
        rhs,
        csr.nnz,
        csr.indptr[:-1].astype(np.int32),
        csr.indices.astype(np.int32),
        csr.data,
    )
    keys = np.concatenate(rows.lazy_keys) if rows.lazy_keys else np.empty(0, dtype=np.int64)
    added = np.zeros(len(pairs), dtype=bool)
    order: list[np.ndarray] = []  # the lazy rows in the LP, in the order added
    first = (
        np.isin(keys, active.keys) if active is not None and len(keys) else np.zeros(0, dtype=bool)
    )
    if first.any():
        _add_pairs(h, pairs, np.nonzero(first)[0], added, order)
    while True:
        try:
            run(h)
        except RuntimeError:  # numerical trouble: no bound from this round
            return math.inf, None
        solution = h.getSolution()
        if not solution.value_valid or not len(pairs):
            break
        at = np.asarray(solution.col_value, dtype=float)
        broken = ~added & (at[pairs[:, 0]] > at[pairs[:, 1]] + LAZY_TOLERANCE)
        if not broken.any() or h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        _add_pairs(h, pairs, np.nonzero(broken)[0], added, order)
    if active is not None and added.any():
        active.keys = np.union1d(active.keys, keys[added])
    if not solution.dual_valid:
        return math.inf, None
    duals = np.maximum(np.asarray(solution.row_dual, dtype=float), 0.0)
    used = np.concatenate(order) if order else np.empty(0, dtype=np.int64)
    lhs = a.T @ duals[: len(rhs)]
    if len(used):
        extra = duals[len(rhs) :]
        np.add.at(lhs, pairs[used, 0], extra)
        np.subtract.at(lhs, pairs[used, 1], extra)
    point = np.asarray(solution.col_value, dtype=float) if solution.value_valid else None
    return max(dual_bound(rhs, duals[: len(rhs)], cost - lhs, upper), 0.0), point


def _add_pairs(
    h: highspy.Highs, pairs: np.ndarray, which: np.ndarray, added: np.ndarray, order: list
) -> None:
    """Add the rows v_a - v_b <= 0 of pairs[which] to the LP."""
    added[which] = True
    order.append(which)
    k = len(which)
    h.addRows(
        k,
        np.full(k, -np.inf),
        np.zeros(k),
        2 * k,
        np.arange(0, 2 * k, 2, dtype=np.int32),
        pairs[which].ravel().astype(np.int32),
        np.tile([1.0, -1.0], k),
    )


def pricing_slack(
    inst: Instance,
    pricings: list[CategoryPricing],
    ubs: list[np.ndarray],
    member_values: list[MemberValues] | None = None,
    time_limit: float | None = None,
) -> float:
    """max sum_t s_t over the aggregate (and per-organization) rows; see module."""
    return slack_shares(inst, pricings, ubs, member_values, time_limit)[0]


def slack_shares(
    inst: Instance,
    pricings: list[CategoryPricing],
    ubs: list[np.ndarray],
    member_values: list[MemberValues] | None = None,
    time_limit: float | None = None,
    active: ActiveRows | None = None,
) -> tuple[float, list[np.ndarray]]:
    """``pricing_slack`` and, per category, each subproblem's s_t at the LP's point
    (0 where not positive or not known): which pricing bounds the slack rests on."""
    shares = [np.zeros(len(ub)) for ub in ubs]
    horizon = inst.settings.horizon
    limit = inst.settings.max_parallel_formations
    rows = _Rows()
    per_x: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (x columns, U, C, ...)
    form_cols: dict[int, list[np.ndarray]] = {}
    offset = 0
    keeps = []
    for pr, ub in zip(pricings, ubs, strict=True):
        keep = np.nonzero(ub > 0)[0]  # every positive bound counts, however small
        keeps.append(keep)
        if not len(keep):
            continue
        if not np.all(np.isfinite(ub[keep])):
            return math.inf, shares
        s, data = pr.subs, pr.data
        cols = offset + np.arange(len(keep))
        sigma, lead, nlo = s.sigma[keep], s.lead[keep], s.nlo[keep].astype(float)
        ready = np.array([(data.ready <= r).sum() for r in sigma], dtype=float)
        per_x.append((cols, ub[keep], ready / nlo))
        for r in np.unique(sigma):
            sel = sigma <= r
            rows.add(cols[sel], nlo[sel], float((data.ready <= r).sum()))
        for j, od in enumerate(data.offers):
            sel = s.offer[keep] == j
            if not sel.any():
                continue
            rows.add(cols[sel], nlo[sel], float(od.served.sum()))
            if math.isfinite(od.cap):
                rows.add(cols[sel], s.vlo[keep][sel], od.cap)
        if limit is not None:
            for p in range(1, horizon + 1):
                sel = (sigma <= p) & (p <= sigma + lead - 1)
                if sel.any():
                    form_cols.setdefault(p, []).append(cols[sel])
        offset += len(keep)
    if not offset:
        return 0.0, shares
    for parts in form_cols.values():
        c = np.concatenate(parts)
        rows.add(c, np.ones(len(c)), float(limit or 0))
    x_cols = np.concatenate([c for c, _, _ in per_x])
    u = np.concatenate([b for _, b, _ in per_x])
    x_upper = np.concatenate([r for _, _, r in per_x])
    n_x = offset
    # s_t (columns n_x + t): s_t <= U_t x_t
    s_cols = n_x + np.arange(n_x)
    rows.add_many(
        np.repeat(np.arange(n_x), 2),
        np.column_stack((s_cols, x_cols)).ravel(),
        np.column_stack((np.ones(n_x), -u)).ravel(),
        np.zeros(n_x),
    )
    n = 2 * n_x
    upper = [x_upper, u * x_upper]
    if member_values is not None:
        entries = sum(len(k) * pr.data.n for k, pr in zip(keeps, pricings, strict=True))
        if entries <= MAX_MEMBER_ENTRIES:
            n = _member_rows(inst, rows, pricings, keeps, member_values, n, upper)
    cost = np.zeros(n)
    cost[s_cols] = 1.0
    value, point = _solve_bound(cost, np.concatenate(upper), rows, time_limit, active)
    if point is not None:
        at = 0
        for keep, share in zip(keeps, shares, strict=True):
            share[keep] = point[s_cols[at : at + len(keep)]]
            at += len(keep)
    return value, shares


def _member_rows(
    inst: Instance,
    rows: _Rows,
    pricings: list[CategoryPricing],
    keeps: list[np.ndarray],
    member_values: list[MemberValues],
    n: int,
    upper: list[np.ndarray],
) -> int:
    """Add z_ot and the per-organization rows; returns the new variable count."""
    n_x = n // 2
    x_upper = upper[0]
    values_of = [
        values(keep) if len(keep) else None
        for keep, values in zip(keeps, member_values, strict=True)
    ]
    if sum(int((w > 0).sum()) for w in values_of if w is not None) > MAX_POSITIVE:
        return n
    t0 = 0
    limited: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for ci, (pr, keep, w) in enumerate(zip(pricings, keeps, values_of, strict=True)):
        if w is None:
            continue
        pos_t, pos_o = np.nonzero(w > 0)
        t_global = t0 + np.arange(len(keep))
        k = len(pos_t)
        z = n + np.arange(k)
        # s_t + C_t x_t - sum_o w_ot z_ot <= 0
        c_t = pr.last_C[keep]
        rows.add_many(
            np.concatenate((np.arange(len(keep)), np.arange(len(keep)), pos_t)),
            np.concatenate((n_x + t_global, t_global, z)),
            np.concatenate((np.ones(len(keep)), c_t, -w[pos_t, pos_o])),
            np.zeros(len(keep)),
        )
        # z_ot <= x_t
        rows.lazy.append(np.column_stack((z, t_global[pos_t])))
        rows.lazy_keys.append((ci << 42) | (keep[pos_t].astype(np.int64) << 21) | pos_o)
        _size_rows(rows, pr, keep, w, c_t, pos_t, pos_o, z, t_global)
        # sum_t z_ot <= 1 per organization
        orgs, which = np.unique(pos_o, return_inverse=True)
        rows.add_many(which, z, np.ones(k), np.ones(len(orgs)))
        upper.append(np.minimum(x_upper[t_global[pos_t]], 1.0))
        limited.append(_limited_entries(inst, pr, keep, pos_t, pos_o, z))
        n += k
        t0 += len(keep)
    _own_limit_rows(inst, rows, limited)
    return n


def _size_rows(
    rows: _Rows,
    pr: CategoryPricing,
    keep: np.ndarray,
    w: np.ndarray,
    c_t: np.ndarray,
    pos_t: np.ndarray,
    pos_o: np.ndarray,
    z: np.ndarray,
    t_global: np.ndarray,
) -> None:
    """How many members a lot with rc > 0 holds, per subproblem t:
    k_t x_t <= sum_o z_ot <= n_hi(t) x_t and sum_o d_o z_ot <= v_hi(t) x_t.

    A lot G of t with rc > 0 has sum_{o in G} w_ot > C_t, so it holds at least k_t
    members of positive value, k_t the fewest of t's largest positive values whose
    sum reaches C_t (all of them if none do: then no lot of t has rc > 0 and
    x_t = 0 in every plan). It holds at most n_hi members and volume v_hi. Summed
    over t's lots (z_ot counts only members of positive value) the rows hold for
    every plan. With sum_t z_ot <= 1 they stop the subproblems that each need a
    dozen of the same large buyers from all being credited."""
    nt = len(keep)
    positive = np.where(w > 0, w, 0.0)
    ranked = -np.sort(-positive, axis=1)
    reach = np.cumsum(ranked, axis=1) >= c_t[:, None] * (1.0 - 1e-9) - 1e-9
    npos = (w > 0).sum(axis=1)
    least = np.where(reach.any(axis=1), reach.argmax(axis=1) + 1, npos).astype(float)
    # a constant below 0 would let a lot of no positive member have rc > 0
    least = np.where(c_t < 0, 0.0, np.maximum(least, 1.0))
    nhi = pr.subs.nhi[keep].astype(float)
    vhi = pr.subs.vhi[keep]
    ones = np.ones(len(z))
    # k_t x_t - sum_o z_ot <= 0 and sum_o z_ot - n_hi x_t <= 0
    for sign, size in ((-1.0, least), (1.0, nhi)):
        rows.add_many(
            np.concatenate((np.arange(nt), pos_t)),
            np.concatenate((t_global, z)),
            np.concatenate((-sign * size, sign * ones)),
            np.zeros(nt),
        )
    capped = np.isfinite(vhi)
    if capped.any():
        number = np.full(nt, -1)
        number[capped] = np.arange(int(capped.sum()))
        sel = capped[pos_t]
        rows.add_many(
            np.concatenate((number[capped], number[pos_t[sel]])),
            np.concatenate((t_global[capped], z[sel])),
            np.concatenate((-vhi[capped], pr.data.d[pos_o[sel]])),
            np.zeros(int(capped.sum())),
        )


def _limited_entries(
    inst: Instance,
    pr: CategoryPricing,
    keep: np.ndarray,
    pos_t: np.ndarray,
    pos_o: np.ndarray,
    z: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The z_ot of organizations with a binding own limit: (organization number,
    first and last forming period of t, z column)."""
    data, s = pr.data, pr.subs
    if not len(data.capped):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, empty
    is_capped = np.zeros(data.n, dtype=bool)
    is_capped[data.capped] = True
    sel = is_capped[pos_o]
    number = np.array([inst.org_index[o] for o in data.orgs], dtype=np.int64)
    t = keep[pos_t[sel]]
    return number[pos_o[sel]], s.sigma[t], s.sigma[t] + s.lead[t] - 1, z[sel]


def _own_limit_rows(
    inst: Instance,
    rows: _Rows,
    limited: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """sum_{t forming in p} z_ot <= k(o) per limited organization o and period p."""
    if not limited:
        return
    org, first, last, z = (np.concatenate(parts) for parts in zip(*limited, strict=True))
    if not len(z):
        return
    limit_of = {inst.org_index[o]: k for o, k in inst.binding_org_capacity.items()}
    for p in range(int(first.min()), int(last.max()) + 1):
        sel = (first <= p) & (p <= last)
        if not sel.any():
            continue
        orgs, which = np.unique(org[sel], return_inverse=True)
        limits = np.array([limit_of[int(o)] for o in orgs], dtype=float)
        rows.add_many(which, z[sel], np.ones(int(sel.sum())), limits)
