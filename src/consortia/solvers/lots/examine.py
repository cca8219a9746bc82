"""Connected pricing of one subproblem: the LP screen, then the search for a lot.

The same two steps run in the main process and in the helper process
(``helper``); the screen takes a pricer (``exact.PieceConnectedPricer``) that
keeps its own connectivity cuts. A subproblem has member values w (-inf where not
eligible), windows (n_lo, n_hi, v_lo, v_hi) and constant C: a connected member
set G in the windows has reduced cost sum_{o in G} w_o - C.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from consortia.solvers.lots.connected import COUNT_PRICES, grow_connected
from consortia.solvers.lots.exact import PieceConnectedPricer
from consortia.solvers.lots.settle import Window

HEURISTIC_SEEDS = 6  # best members the connected heuristic grows from (after the LP's)
LP_SEEDS = 3  # the heuristic also grows from the LP screen's largest members


def screen(
    pricer: PieceConnectedPricer, w: np.ndarray, window: Window, cost: float
) -> tuple[float, np.ndarray | None]:
    """(LP upper bound on the reduced cost over connected sets, the LP point's
    LP_SEEDS largest members as seeds for the search, or None)."""
    ub = pricer.bound(w, window) - cost
    seeds = None
    if pricer.last_lp_point is not None:
        members, x = pricer.last_lp_point
        seeds = members[np.argsort(-x, kind="stable")[:LP_SEEDS]]
    return ub, seeds


def search(
    graph: sp.csr_matrix,
    volumes: np.ndarray,
    w: np.ndarray,
    window: Window,
    cost: float,
    tol: float,
    seeds: np.ndarray | None,
) -> np.ndarray | None:
    """A connected lot with reduced cost > tol, or None: grown at the true values,
    else at count prices (``connected.grow_connected``). Deciding where both fail
    is left to the proof phase (``settle``): in the rounds such MIPs rarely found a
    lot (1 in 17) and took half of a late round's time."""
    value, idx = grow_connected(graph, w, volumes, window, seeds=3, first=seeds, prices=(0.0,))
    if idx is None or value - cost <= tol:
        # late rounds: most members are worth something and the count window
        # decides; the count-priced growth finds most of what a MIP would
        value, idx = grow_connected(
            graph, w, volumes, window, seeds=HEURISTIC_SEEDS, first=seeds, prices=COUNT_PRICES
        )
    if idx is not None and value - cost > tol:
        return idx
    return None
