"""Settling a connected pricing subproblem exactly, here or in a helper process.

``settle`` decides whether any connected lot of the subproblem has a reduced cost
above tol/2 (``PieceConnectedPricer.decide``: fast when none has) and, if one has
(or one is known), optimises it: the bound is then the exact best reduced cost
when the search finishes, and the lot returned the best one. The proof phase of
the lot generation settles the subproblems its bound rests on, here and in the
helper process (``helper``).
"""

from __future__ import annotations

import math
import time

import numpy as np

from consortia.solvers.lots.exact import PieceConnectedPricer

DECIDE_SECONDS = 0.5  # per subproblem; past it the search's dual bound is used
OPTIMISE_SECONDS = 2.0  # for a subproblem that holds an improving lot

Window = tuple[int, int, float, float]
# a subproblem's bound on its reduced cost, its best improving lot (or None) and
# the other improving lots met
Settled = tuple[float, np.ndarray | None, list[np.ndarray]]


def settle(
    pricer: PieceConnectedPricer,
    w: np.ndarray,
    window: Window,
    cost: float,
    tol: float,
    stop_at: float = math.inf,
    lot: np.ndarray | None = None,
    patience: float = 1.0,
) -> Settled:
    """(upper bound on the subproblem's reduced cost max_G sum_{o in G} w_o - cost
    over connected G in the windows, a member set with reduced cost > tol/2 or
    None, the other sets with reduced cost > tol/2 the optimisation met: up to
    ``branch_cut.OTHERS`` more columns for the master). Decided at tol/2 first;
    where a lot reaches it — or a `lot` is already known (member indices, reduced
    cost above tol/2), which takes the decision's place — the subproblem is
    optimised, so its bound is the best lot's reduced cost when the search
    finishes within OPTIMISE_SECONDS (by branch-and-cut it did for 61 of 67 hard
    subproblems of `m200-seed2` in 2 s each), its dual bound otherwise, and the
    lot returned is the best found. Raising the threshold to twice the lot found
    instead, three times, left bounds up to twice the best lot's. Both limits are
    multiplied by `patience` (raised when a proof ends with nothing left to find
    but bounds still open). No decision runs past `stop_at` (``time.time()``): a
    bound of +inf then says nothing was proved."""
    best: np.ndarray | None = None
    if lot is not None and float(w[lot].sum()) - cost > 0.5 * tol:
        best = lot
    else:
        left = stop_at - time.time()
        if left <= 0:
            return math.inf, None, []
        limit = min(patience * DECIDE_SECONDS, left)
        bound, best = pricer.decide(w, window, cost + 0.5 * tol, limit)
        if best is None:
            return bound - cost, None, []
    left = stop_at - time.time()
    if left <= 0:
        return math.inf, best, []
    bound, found = pricer.solve(w, window, min(patience * OPTIMISE_SECONDS, left), start=best)
    if found is not None and float(w[found].sum()) > float(w[best].sum()):
        best = found
    others = [
        other
        for other in [found, *pricer.last_others]
        if other is not None
        and not np.array_equal(other, best)
        and float(w[other].sum()) - cost > 0.5 * tol
    ]
    return bound - cost, best, others
