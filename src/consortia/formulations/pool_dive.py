"""A plan from a large pool by diving on its LP, where HiGHS's MIP cannot start.

The MIP over a national pool (``pool_master``) is a set packing with the pair,
formation, own-limit and capacity rows. At 5,000 organizations with own limits it
has 44,600 columns, 87,900 rows and 1.9 M nonzeros (mostly rule-8b rows: a limited
member times each period its lot forms): HiGHS's dual simplex needs about 240 s for
the root LP, so the MIP given 150 s returned its start. Its interior point solves
the same LP in about 60 s, and the LP's support (the columns above 1%) is about
2,000 columns, on which an LP takes about a second. So, given `seconds`:

1. the pool's LP by interior point, without crossover (at most LP_SHARE of the time);
2. its support and the start's columns, with the rows that can bind among them, as
   a smaller LP, and a dive on it: every column at or above FIX_AT is fixed to 1,
   else the fractional one of largest ``x · value``; a batch that makes the LP
   infeasible keeps only its largest column fixed, and a single column that does
   is barred; until the LP is integral or time is up (the last point is then
   rounded: the columns held at 1 first, then by falling ``x · value``, each kept
   while every row it enters fits).

The better of the start and the dive's plan is returned. Every row of the pool is
held, so the plan is one the pool's rules accept; callers check it again with the
rules (``forced_lots.best_feasible``). Fixing one column at a time matters: at
5,000 organizations the dive reached 17.57 G from a start of 17.07 G, fixing 15 at
once 16.29 G, and rounding the first LP point 16.3-16.5 G.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import highspy
import numpy as np
import scipy.sparse as sp

from consortia.backend.highs import new_highs, run, set_time_limit
from consortia.rules.plan import LotOutcome

# nonzeros from which the pool is dived instead of handed to HiGHS's MIP
LARGE_POOL_NONZEROS = 1_000_000
LP_SHARE = 0.5  # of the time, at most, for the pool's LP
SUPPORT = 1e-2  # columns above this in the LP enter the dive
FIX_AT = 0.9
INTEGRAL = 1e-6


def dive_pool(
    h: highspy.Highs, columns: Sequence[LotOutcome], start: list[LotOutcome], seconds: float
) -> list[LotOutcome]:
    """The better of `start` and the dive of the module docstring over the pool in
    `h` (a maximisation, one column per entry of `columns`, in order, rows ``≤`` with
    nonnegative coefficients, columns in [0, 1]), within about `seconds`."""
    until = time.perf_counter() + seconds
    lp = h.getLp()
    cost = np.asarray(lp.col_cost_, dtype=float)
    upper = np.asarray(lp.row_upper_, dtype=float)
    a = lp.a_matrix_
    arrays = (
        np.asarray(a.value_, dtype=float),
        np.asarray(a.index_, dtype=np.int64),
        np.asarray(a.start_, dtype=np.int64),
    )
    shape = (lp.num_row_, lp.num_col_)
    if a.format_ == highspy.MatrixFormat.kRowwise:
        matrix = sp.csr_matrix(arrays, shape=shape).tocsc()
    else:
        matrix = sp.csc_matrix(arrays, shape=shape)
    chosen = {o.lot for o in start}
    begun = np.array([j for j, col in enumerate(columns) if col.lot in chosen], dtype=np.int64)
    x = _interior_point(matrix, cost, upper, LP_SHARE * seconds)
    if x is None:
        return list(start)
    support = np.union1d(np.nonzero(x > SUPPORT)[0], begun)
    part = matrix[:, support].tocsr()
    rows = np.nonzero(np.asarray(part.sum(axis=1)).ravel() > upper + 1e-9)[0]
    dived = _dive(part[rows].tocsc(), cost[support], upper[rows], until)
    if dived is None or float(cost[support[dived]].sum()) <= float(cost[begun].sum()):
        return list(start)
    return [columns[j] for j in support[dived].tolist()]


def _model(matrix: sp.csc_matrix, cost: np.ndarray, upper: np.ndarray) -> highspy.Highs:
    """max cost.x  s.t.  matrix x <= upper,  0 <= x <= 1, in a fresh Highs."""
    h = new_highs()
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    rows, n = matrix.shape
    empty = np.empty(0, np.int32)
    h.addRows(rows, np.full(rows, -highspy.kHighsInf), upper, 0, empty, empty, np.empty(0))
    h.addCols(
        n,
        cost,
        np.zeros(n),
        np.ones(n),
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    return h


def _interior_point(
    matrix: sp.csc_matrix, cost: np.ndarray, upper: np.ndarray, seconds: float
) -> np.ndarray | None:
    """The LP's point by interior point without crossover, None if not solved in time."""
    h = _model(matrix, cost, upper)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    set_time_limit(h, max(0.01, seconds))
    run(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.clip(np.asarray(h.getSolution().col_value, dtype=float), 0.0, 1.0)


def _dive(
    matrix: sp.csc_matrix, cost: np.ndarray, upper: np.ndarray, until: float
) -> np.ndarray | None:
    """Columns of a plan by diving on the LP (step 2 of the module docstring); None
    if no LP was solved."""
    h = _model(matrix, cost, upper)
    n = len(cost)
    lower, top = np.zeros(n), np.ones(n)

    def bounds(cols: np.ndarray) -> None:
        h.changeColsBounds(len(cols), cols.astype(np.int32), lower[cols], top[cols])

    batch = np.empty(0, dtype=np.int64)
    x: np.ndarray | None = None
    while time.perf_counter() < until:
        set_time_limit(h, max(0.01, until - time.perf_counter()))
        run(h)
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kTimeLimit:
            break
        if status != highspy.HighsModelStatus.kOptimal:
            if not len(batch):
                break
            if len(batch) > 1:  # keep the largest fix, release the others
                lower[batch[1:]] = 0.0
                bounds(batch[1:])
                batch = batch[:1]
            else:  # that column cannot be in a plan with the ones fixed before it
                lower[batch] = top[batch] = 0.0
                bounds(batch)
                batch = np.empty(0, dtype=np.int64)
            continue
        x = np.clip(np.asarray(h.getSolution().col_value, dtype=float), 0.0, 1.0)
        fractional = (x > INTEGRAL) & (x < 1.0 - INTEGRAL)
        if not fractional.any():
            return np.nonzero(x > 0.5)[0]
        batch = np.nonzero((x >= FIX_AT) & (lower < 0.5))[0]
        if not len(batch):
            candidates = np.nonzero(fractional)[0]
            batch = candidates[[int(np.argmax(x[candidates] * cost[candidates]))]]
        batch = batch[np.argsort(-x[batch], kind="stable")]
        lower[batch] = 1.0
        bounds(batch)
    if x is None:
        return None
    # x kept every fix before the last batch
    held = np.nonzero((lower > 0.5) & ~np.isin(np.arange(n), batch))[0]
    return _round(matrix, upper, x, cost, held)


def _round(
    matrix: sp.csc_matrix, upper: np.ndarray, x: np.ndarray, cost: np.ndarray, held: np.ndarray
) -> np.ndarray:
    """Columns kept greedily: `held` first, then by falling ``x · cost``, each when
    every row it enters stays within its upper bound."""
    load = np.zeros(len(upper))
    rest = np.nonzero(x > INTEGRAL)[0]
    rest = rest[np.argsort(-(x[rest] * cost[rest]), kind="stable")]
    kept: list[int] = []
    seen: set[int] = set()
    for j in [*held.tolist(), *rest.tolist()]:
        if cost[j] <= 0 or j in seen:
            continue
        seen.add(j)
        lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
        rows, values = matrix.indices[lo:hi], matrix.data[lo:hi]
        if np.all(load[rows] + values <= upper[rows] + 1e-9):
            load[rows] += values
            kept.append(j)
    return np.array(sorted(kept), dtype=np.int64)
