"""Settling a connected pricing subproblem exactly, here or in a helper process.

``settle`` decides whether any connected lot of the subproblem has a reduced cost
above tol/2 (``PieceConnectedPricer.decide``: fast when none has) and, if one has,
whether one has twice its reduced cost, and so on. The proof phase of the lot generation settles the
subproblems its bound rests on two at a time on a two-core machine: one here, one
in a ``spawn``-started helper (HiGHS keeps threads a forked child would not have)
that builds its own pricers, with their own cuts, from the graphs it was given.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from consortia.solvers.lots.exact import PieceConnectedPricer

DECIDE_SECONDS = 0.5  # per subproblem; past it the MIP's dual bound is used
OPTIMISE_SECONDS = 2.0  # when the raised thresholds keep finding lots
RAISES = 3  # decisions per subproblem before it is optimised

Window = tuple[int, int, float, float]


def settle(
    pricer: PieceConnectedPricer, w: np.ndarray, window: Window, cost: float, tol: float
) -> tuple[float, np.ndarray | None]:
    """(upper bound on the subproblem's reduced cost max_G sum_{o in G} w_o - cost
    over connected G in the windows, a member set with reduced cost > tol/2 or
    None). Decided at tol/2 first; where a lot reaches it, decided again at twice
    the reduced cost found (RAISES times), so the bound is at most twice the best
    lot's or, when the raises keep finding lots, the optimum by a time-limited MIP.
    A decision that finds nothing is fast; proving an exact optimum is not."""
    threshold = cost + 0.5 * tol
    best: np.ndarray | None = None
    for _ in range(RAISES):
        bound, idx = pricer.decide(w, window, threshold, DECIDE_SECONDS)
        if idx is None:
            return bound - cost, best
        best = idx
        threshold = cost + 2.0 * max(float(w[idx].sum()) - cost, 0.5 * tol)
    return pricer.solve(w, window, OPTIMISE_SECONDS)[0] - cost, best


# the helper process's state: graphs and eligibility it was started with, and the
# pricers built from them on first use
_GRAPHS: list[sp.csr_matrix] = []
_ELIGIBLE: dict[tuple[int, int], np.ndarray] = {}
_VOLUMES: list[np.ndarray] = []
_PRICERS: dict[tuple[int, int], PieceConnectedPricer] = {}


def start_helper(
    graphs: list[sp.csr_matrix],
    eligible: dict[tuple[int, int], np.ndarray],
    volumes: list[np.ndarray],
) -> None:
    """Initializer of the helper process."""
    _GRAPHS[:] = graphs
    _ELIGIBLE.clear()
    _ELIGIBLE.update(eligible)
    _VOLUMES[:] = volumes


def settle_in_helper(
    task: tuple[int, int, int, np.ndarray, Window, float, float],
) -> tuple[int, int, float, np.ndarray | None]:
    """``settle`` of (category, row, piece, w, window, cost, tol) in the helper;
    returns (category, row, bound, members)."""
    ci, row, piece, w, window, cost, tol = task
    key = (ci, piece)
    if key not in _PRICERS:
        _PRICERS[key] = PieceConnectedPricer(_GRAPHS[ci], _ELIGIBLE[key], _VOLUMES[ci])
    rc, idx = settle(_PRICERS[key], w, window, cost, tol)
    return ci, row, rc, idx
