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

from consortia.solvers.lots.connected import (
    COUNT_PRICES,
    beam_connected,
    grow_ahead_connected,
    grow_connected,
)
from consortia.solvers.lots.exact import Certificate, PieceConnectedPricer
from consortia.solvers.lots.polish import polish
from consortia.solvers.lots.settle import Settled, Window, settle

HEURISTIC_SEEDS = 6  # best members the connected heuristic grows from (after the LP's)
LP_SEEDS = 3  # the heuristic also grows from the LP screen's largest members
BEAM_WIDTH = 256  # sets the thorough search's beam keeps


Screened = tuple[float, np.ndarray | None, Certificate | None]


def screen(pricer: PieceConnectedPricer, w: np.ndarray, window: Window, cost: float) -> Screened:
    """(LP upper bound on the reduced cost over connected sets, the LP point's
    LP_SEEDS largest members as seeds for the search or None, the LP's dual
    certificate to bound the subproblem at later values or None)."""
    ub = pricer.bound(w, window) - cost
    seeds = None
    if pricer.last_lp_point is not None:
        members, x = pricer.last_lp_point
        seeds = members[np.argsort(-x, kind="stable")[:LP_SEEDS]]
    return ub, seeds, pricer.last_certificate


def search(
    graph: sp.csr_matrix,
    volumes: np.ndarray,
    w: np.ndarray,
    window: Window,
    cost: float,
    tol: float,
    seeds: np.ndarray | None,
    thorough: bool = False,
) -> np.ndarray | None:
    """A connected lot with reduced cost > tol, or None: grown at the true values,
    else at count prices (``connected.grow_connected``), else one member at a time
    looking a step ahead (``connected.grow_ahead_connected``); if `thorough`, else by
    a beam search (``connected.beam_connected``, BEAM_WIDTH sets wide), else the
    best set found is improved by iterated local search (``polish.polish``).
    Deciding where all fail
    is left to the proof phase (``settle``): in the rounds such decisions (by the
    former HiGHS loop) rarely found a lot (1 in 17) and took half of a late round's
    time."""
    value, idx = grow_connected(graph, w, volumes, window, seeds=3, first=seeds, prices=(0.0,))
    if idx is not None and value - cost > tol:
        return idx
    # late rounds: most members are worth something and the count window
    # decides; the count-priced growth finds much of what a MIP would
    priced, other = grow_connected(
        graph, w, volumes, window, seeds=HEURISTIC_SEEDS, first=seeds, prices=COUNT_PRICES
    )
    if other is not None and (idx is None or priced > value):
        value, idx = priced, other
    if idx is None or value - cost <= tol:
        # large count windows: a growth that looks one step ahead, from the best members
        ahead, grown = grow_ahead_connected(graph, w, volumes, window)
        if grown is not None and (idx is None or ahead > value):
            value, idx = ahead, grown
    if thorough and (idx is None or value - cost <= tol):
        wide, grown = beam_connected(graph, w, volumes, window, BEAM_WIDTH)
        if grown is not None and (idx is None or wide > value):
            value, idx = wide, grown
    if idx is None:
        return None
    if thorough and value - cost <= tol:
        value, idx = polish(graph, w, volumes, window, idx)
    return idx if value - cost > tol else None


def resolve(
    pricer: PieceConnectedPricer,
    w: np.ndarray,
    window: Window,
    cost: float,
    tol: float,
    stop_at: float,
    patience: float = 1.0,
) -> Settled:
    """The proof phase's question about one subproblem: (upper bound on its reduced
    cost, a lot with reduced cost > tol/2 or None, other such lots), by ``settle`` after the
    thorough search (0.05 s): a lot it finds takes the place of settle's first
    decision, which goes straight to optimising the subproblem; `patience` scales
    settle's time limits."""
    found = search(pricer.graph, pricer.d, w[pricer.members], window, cost, tol, None, True)
    lot = None if found is None else pricer.members[found]
    return settle(pricer, w, window, cost, tol, stop_at, lot, patience)
