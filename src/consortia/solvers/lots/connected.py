"""Connected member sets for real columns (a heuristic; it proves nothing).

Pricing ignores the collaboration graph (rule 7), so its member sets are often
scattered. For a subproblem with member values w_o (-inf when not eligible) and
windows n_lo <= |G| <= n_hi, v_lo <= V(G) <= v_hi we look for a connected G of
large sum w, the *maximum-weight connected subgraph* problem with two windows
(NP-hard; a MILP solves the instances of ``instances/medium`` in 1-10 s each,
this in milliseconds, usually within a few per cent of it):

1. From a seed (one of the best w_o), attach positive members one path at a
   time. A multi-source Dijkstra from the current set over node costs
   max(0, -w_o) finds the cheapest path to every eligible organization; the path
   whose members add the most (sum of their w, connectors included) and that
   keeps both upper limits is attached, while that sum is positive.
2. While the count or the volume is below its window, add the best neighbour.
3. Drop negative members whose removal keeps the set connected and in its
   windows, most negative first.
4. Local search with the true values (``kernels.improve``): add the best neighbour of
   positive value while the count allows, drop a negative member, or exchange the
   weakest members that are not cut vertices for a better neighbour of the rest,
   until no move gains.

When most values are positive (late rounds: nearly every member is worth
something, the lot's constant C decides), attaching the heaviest reachable member
whatever the path length wastes the count window on connectors. So the growth is
repeated with every value lowered by a *count price* lambda = f * w_(n_hi) (the
n_hi-th largest value, f in COUNT_PRICES): a connector must then pay for the slot
it takes. On the last round of a 200-organization instance the growth at
lambda = 0 alone found 0 of the 63 subproblems that had an improving connected
lot (a MIP found them); with the count prices and the local search from 6 seeds,
53.

The best set over the seeds and prices that meets both windows is returned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from consortia.solvers.lots.kernels import best_ahead, csr, fits, grow, grow_beam, improve, limits

COUNT_PRICES = (0.0, 0.5, 1.0, 2.0)  # multiples of the n_hi-th largest value
AHEAD = 1.0  # weight of the best member one step beyond a candidate (``grow_ahead``)
# seeds of that growth, best first: every member of a medium piece; each seed
# costs O(n_hi * n) steps, so larger pieces keep to their best
AHEAD_SEEDS = 150
BEAM_AHEAD = 0.3  # weight of a new member's best neighbour in the beam's ranking


def _eligible(
    adj: sp.csr_matrix, w: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray]:
    """The members of finite w, the graph among them and their values and volumes
    (local indices 0.. in that order)."""
    eligible = np.nonzero(np.isfinite(w))[0]
    graph = adj[eligible][:, eligible].tocsr()
    return (
        eligible,
        graph,
        np.asarray(w[eligible], dtype=np.float64),
        np.asarray(d[eligible], dtype=np.float64),
    )


def _from_best(
    adj: sp.csr_matrix,
    w: np.ndarray,
    d: np.ndarray,
    window: tuple[int, int, float, float],
    kernel: Callable[..., np.ndarray],
) -> tuple[float, np.ndarray | None]:
    """`kernel(indptr, indices, w, d, window, seeds)` on the eligible members' graph,
    seeds all members most valuable first, its set improved by local search: (sum
    of w, member indices), or (-inf, None) when it found no set in the windows."""
    bounds = limits(window)
    eligible, graph, we, de = _eligible(adj, w, d)
    if not len(eligible):
        return -np.inf, None
    indptr, indices = csr(graph)
    seeds = np.argsort(-we, kind="stable").astype(np.int64)
    inside = kernel(indptr, indices, we, de, bounds, seeds)
    if not inside.any():
        return -np.inf, None
    inside = improve(indptr, indices, we, de, inside, bounds)
    return float(we[inside].sum()), eligible[np.nonzero(inside)[0]]


def grow_connected(
    adj: sp.csr_matrix,
    w: np.ndarray,
    d: np.ndarray,
    window: tuple[int, int, float, float],
    seeds: int = 3,
    first: np.ndarray | None = None,
    prices: tuple[float, ...] = COUNT_PRICES,
) -> tuple[float, np.ndarray | None]:
    """Best connected set found: (sum of w, member indices) or (-inf, None).
    Seeds are the best `seeds` members by w, after those listed in `first`; each
    is grown at every count price (multiples of the n_hi-th largest value) and
    improved by local search."""
    bounds = limits(window)
    nhi, vhi = bounds[1], bounds[3]
    eligible, graph, we, de = _eligible(adj, w, d)
    if not len(eligible):
        return -np.inf, None
    local = np.full(len(w), -1)
    local[eligible] = np.arange(len(eligible))
    order = np.argsort(-we, kind="stable")[:seeds].tolist()
    if first is not None:
        ahead = [int(local[i]) for i in first.tolist() if local[i] >= 0]
        order = list(dict.fromkeys(ahead + order))
    kth = float(np.sort(we)[::-1][min(nhi, len(we)) - 1])
    indptr, indices = csr(graph)
    best_value, best_set = -np.inf, None
    seen: set[bytes] = set()
    for price in dict.fromkeys(f * max(0.0, kth) for f in prices):
        shifted = we - price
        # entering v costs what v takes away; a small epsilon prefers short paths
        node_cost = np.maximum(0.0, -shifted) + 1e-9 * max(1.0, float(np.abs(shifted).max()))
        for seed in order:
            if de[seed] > vhi:
                continue
            grown = grow(indptr, indices, shifted, de, node_cost, int(seed), bounds)
            if not fits(grown, de, bounds):
                continue
            key = grown.tobytes()
            if key in seen:
                continue
            seen.add(key)
            inside = improve(indptr, indices, we, de, grown, bounds)
            value = float(we[inside].sum())
            if value > best_value:
                best_value, best_set = value, eligible[np.nonzero(inside)[0]]
    return best_value, best_set


def grow_ahead_connected(
    adj: sp.csr_matrix, w: np.ndarray, d: np.ndarray, window: tuple[int, int, float, float]
) -> tuple[float, np.ndarray | None]:
    """Best connected set of a growth one neighbour at a time, looking one step
    ahead, from each of the AHEAD_SEEDS most valuable eligible members
    (``kernels.best_ahead``), improved by local search: (sum of w, member indices)
    or (-inf, None).

    Where the count window asks for many members (lots of up to 21 in late rounds)
    and a few valuable members lie a step or two apart, the path growth above
    often misses the set: of the 19 settlements of one ``m200-seed2`` proof phase
    whose improving lot neither it nor the polish found, this found 8 (about 5 ms
    a subproblem of 150 members)."""

    def ahead(indptr, indices, we, de, bounds, seeds):
        return best_ahead(indptr, indices, we, de, bounds, AHEAD, seeds[:AHEAD_SEEDS])

    return _from_best(adj, w, d, window, ahead)


def beam_connected(
    adj: sp.csr_matrix,
    w: np.ndarray,
    d: np.ndarray,
    window: tuple[int, int, float, float],
    width: int,
) -> tuple[float, np.ndarray | None]:
    """Best connected set of a beam search `width` sets wide (``kernels.grow_beam``,
    from the `width` most valuable eligible members), improved by local search:
    (sum of w, member indices) or (-inf, None).

    The growths above follow one set from each seed; where the count window is
    large and valuable members are scattered, the best lot is often on none of
    those paths. On 676 recorded proof settlements of three 200-organization runs
    the thorough search found an improving lot ahead of the exact decision in 10
    of them, with a beam 256 wide in 39 (8 ms more a subproblem), which took the
    searches and decisions from 158 to 151 s. In the rounds (128 wide) whole runs
    stayed within their run-to-run spread, and there it would run on the thousands
    of subproblems the growths leave in the first rounds: only the thorough search
    uses it."""

    def beam(indptr, indices, we, de, bounds, seeds):
        keys = np.random.default_rng(0).integers(1, 2**62, size=len(we), dtype=np.int64)
        return grow_beam(indptr, indices, we, de, bounds, width, BEAM_AHEAD, seeds[:width], keys)

    return _from_best(adj, w, d, window, beam)
