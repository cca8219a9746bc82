"""Iterated local search on a connected member set (a heuristic; it proves nothing).

Late in column generation nearly every member is worth something and the lot's
constant decides: the question is which n_hi members, connected, are worth the
most. The growth of ``connected`` stops at sets where no single exchange of a weak
member for a neighbour gains, while a better lot often holds a valuable member two
or three steps away from the set. On 64 subproblems of the last rounds of
`m200-seed2` whose LP screen stayed positive, a decision MIP found an improving lot
in 22; the growth found 6, this search from the growth's best set 23 (0.05 s
each, against 1-8 s for the MIP).

Moves, best gain first, every one keeping the set connected and in both windows:

- add the best neighbour of positive value (count below n_hi);
- drop a negative member that is no cut vertex;
- exchange a member that is no cut vertex for the best neighbour of the rest;
- attach a path to a valuable member at distance 2..PATH_DEPTH (connectors
  included), dropping the weakest members that can go until the windows hold.

From the local optimum, KICKS times: drop KICK_SIZE random members that are no cut
vertices, refill from the best neighbours (one of the best four at random), search
again; a result at least as good as the current set becomes the current set. The
random stream is seeded, so the search is repeatable.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from consortia.solvers.lots.kernels import csr, cut_vertices, descend, fits, limits, touching
from consortia.solvers.lots.settle import Window

KICKS = 6  # perturbations of the local optimum
KICK_SIZE = 3  # members dropped by a perturbation
REFILL_CHOICES = 4  # a perturbation refills with one of the best this many neighbours


class _Search:
    """The local search on one subproblem: the eligible members only (local
    indices 0..m-1, every value finite); the moves are ``kernels.descend``."""

    def __init__(self, graph: sp.csr_matrix, w: np.ndarray, d: np.ndarray, window: Window):
        self.indptr, self.indices = csr(graph)
        self.w = np.asarray(w, dtype=np.float64)
        self.d = np.asarray(d, dtype=np.float64)
        self.window = limits(window)
        self.eps = 1e-9 * max(1.0, float(np.abs(w).max()) if len(w) else 1.0)

    def fits(self, inside: np.ndarray) -> bool:
        return fits(inside, self.d, self.window)

    def descend(self, inside: np.ndarray) -> np.ndarray:
        """Best moves until none gains (``kernels.descend``)."""
        return descend(self.indptr, self.indices, self.w, self.d, inside, self.window, self.eps)

    def kick(self, inside: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Drop KICK_SIZE random members that are no cut vertices, refill to n_hi
        from the best neighbours (one of the best few at random)."""
        nhi, vhi = self.window[1], self.window[3]
        out = inside.copy()
        for _ in range(KICK_SIZE):
            if int(out.sum()) <= 1:
                break
            cuts = cut_vertices(self.indptr, self.indices, out)
            free = np.nonzero(out & ~cuts)[0]
            out[free[int(rng.integers(len(free)))]] = False
        while int(out.sum()) < nhi:
            near = touching(self.indptr, self.indices, out)
            volume = float(self.d[out].sum())
            cand = np.nonzero(~out & (near > 0) & (volume + self.d <= vhi))[0]
            if not len(cand):
                break
            top = cand[np.argsort(-self.w[cand], kind="stable")][:REFILL_CHOICES]
            out[int(top[int(rng.integers(len(top)))])] = True
        return out


def polish(
    adj: sp.csr_matrix,
    w: np.ndarray,
    d: np.ndarray,
    window: Window,
    start: np.ndarray,
    kicks: int = KICKS,
) -> tuple[float, np.ndarray]:
    """Iterated local search from `start` (a connected member set in the windows,
    category indices; w is -inf where a member may not be chosen): (sum of w,
    member indices) of the best set met, at least as good as `start`."""
    eligible = np.nonzero(np.isfinite(w))[0]
    local = np.full(len(w), -1)
    local[eligible] = np.arange(len(eligible))
    search = _Search(adj[eligible][:, eligible].tocsr(), w[eligible], d[eligible], window)
    inside = np.zeros(len(eligible), dtype=bool)
    inside[local[start]] = True
    we = search.w
    best = current = search.descend(inside)
    best_value = current_value = float(we[best].sum())
    rng = np.random.default_rng(0)
    for _ in range(kicks):
        tried = search.descend(search.kick(current, rng))
        if not search.fits(tried):
            continue
        value = float(we[tried].sum())
        if value >= current_value - search.eps:
            current, current_value = tried, value
        if value > best_value:
            best, best_value = tried, value
    return best_value, eligible[np.nonzero(best)[0]]
