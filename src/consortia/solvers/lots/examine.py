"""Connected pricing of one subproblem: the LP screen, then the search for a lot.

The same two steps run in the main process and in the helper process
(``helper``); both take a pricer (``exact.PieceConnectedPricer``) that keeps its
own connectivity cuts. A subproblem has member values w (-inf where not
eligible), windows (n_lo, n_hi, v_lo, v_hi) and constant C: a connected member
set G in the windows has reduced cost sum_{o in G} w_o - C.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from consortia.solvers.lots.connected import COUNT_PRICES, grow_connected
from consortia.solvers.lots.exact import PieceConnectedPricer
from consortia.solvers.lots.settle import DECIDE_SECONDS, Window

HEURISTIC_SEEDS = 6  # best members the connected heuristic grows from (after the LP's)
LP_SEEDS = 3  # the heuristic also grows from the LP screen's largest members


class Searched(NamedTuple):
    """What the search learned: an upper bound on the reduced cost when a decision
    MIP ran (None otherwise), a member set with reduced cost above tol (None if
    none was found) and whether a MIP was used."""

    bound: float | None
    members: np.ndarray | None
    used_mip: bool


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
    pricer: PieceConnectedPricer,
    graph: sp.csr_matrix,
    volumes: np.ndarray,
    w: np.ndarray,
    window: Window,
    cost: float,
    tol: float,
    seeds: np.ndarray | None,
    allow_mip: bool,
) -> Searched:
    """A connected lot with reduced cost > tol: grown at the true values, else at
    count prices (``connected.grow_connected``), else, if allowed, decided by a MIP
    at tol/2 (``PieceConnectedPricer.decide``: a bound of tol/2 plus the solver's
    margin counts as settled)."""
    value, idx = grow_connected(graph, w, volumes, window, seeds=3, first=seeds, prices=(0.0,))
    if idx is None or value - cost <= tol:
        # late rounds: most members are worth something and the count window
        # decides; the count-priced growth finds most of what a MIP would
        value, idx = grow_connected(
            graph, w, volumes, window, seeds=HEURISTIC_SEEDS, first=seeds, prices=COUNT_PRICES
        )
    if idx is not None and value - cost > tol:
        return Searched(None, idx, False)
    if not allow_mip:
        return Searched(None, None, False)
    value, idx = pricer.decide(w, window, cost + 0.5 * tol, DECIDE_SECONDS)
    if idx is None or float(w[idx].sum()) - cost <= 0.5 * tol:
        return Searched(value - cost, None, True)
    return Searched(value - cost, idx, True)
