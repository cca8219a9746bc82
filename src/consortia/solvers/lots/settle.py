"""Settling a connected pricing subproblem exactly, here or in a helper process.

``settle`` decides whether any connected lot of the subproblem has a reduced cost
above tol/2 (``PieceConnectedPricer.decide``: fast when none has) and, if one has,
whether one has twice its reduced cost, and so on. The proof phase of the lot generation settles the
subproblems its bound rests on, here and in the helper process (``helper``).
"""

from __future__ import annotations

import math
import time

import numpy as np

from consortia.solvers.lots.exact import PieceConnectedPricer

DECIDE_SECONDS = 0.5  # per subproblem; past it the MIP's dual bound is used
OPTIMISE_SECONDS = 2.0  # when the raised thresholds keep finding lots
RAISES = 3  # decisions per subproblem before it is optimised

Window = tuple[int, int, float, float]


def settle(
    pricer: PieceConnectedPricer,
    w: np.ndarray,
    window: Window,
    cost: float,
    tol: float,
    stop_at: float = math.inf,
    lot: np.ndarray | None = None,
) -> tuple[float, np.ndarray | None]:
    """(upper bound on the subproblem's reduced cost max_G sum_{o in G} w_o - cost
    over connected G in the windows, a member set with reduced cost > tol/2 or
    None). Decided at tol/2 first; where a lot reaches it, decided again at twice
    the reduced cost found (RAISES times), so the bound is at most twice the best
    lot's or, when the raises keep finding lots, the optimum by a time-limited MIP.
    No decision runs past `stop_at` (``time.time()``): a bound of +inf then says
    nothing was proved. A `lot` already known (member indices, reduced cost above
    tol/2) takes the place of the first decision's.
    A decision that finds nothing is fast; proving an exact optimum is not."""
    threshold = cost + 0.5 * tol
    best: np.ndarray | None = None
    rounds = RAISES
    if lot is not None and float(w[lot].sum()) - cost > 0.5 * tol:
        best = lot
        threshold = cost + 2.0 * (float(w[lot].sum()) - cost)
        rounds -= 1
    for _ in range(rounds):
        left = stop_at - time.time()
        if left <= 0:
            return math.inf, best
        bound, idx = pricer.decide(w, window, threshold, min(DECIDE_SECONDS, left))
        if idx is None:
            return bound - cost, best
        best = idx
        threshold = cost + 2.0 * max(float(w[idx].sum()) - cost, 0.5 * tol)
    left = stop_at - time.time()
    if left <= 0:
        return math.inf, best
    return pricer.solve(w, window, min(OPTIMISE_SECONDS, left))[0] - cost, best
