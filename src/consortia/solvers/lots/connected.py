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
4. Local search with the true values (``_improve``): add the best neighbour of
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

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

PATHS_TRIED = 20  # candidate paths evaluated per attachment, by estimated gain
COUNT_PRICES = (0.0, 0.5, 1.0, 2.0)  # multiples of the n_hi-th largest value
MOVES = 60  # local-search moves per grown set
SWAPS_TRIED = 8  # weakest members tried for removal in an exchange


class _Growth:
    """One connected set on the eligible subgraph (local indices 0..m-1)."""

    def __init__(self, graph: sp.csr_matrix, w: np.ndarray, d: np.ndarray, seed: int):
        self.graph, self.w, self.d = graph, w, d
        self.inside = np.zeros(len(w), dtype=bool)
        self.inside[seed] = True
        self.count, self.volume, self.value = 1, float(d[seed]), float(w[seed])

    def attach_paths(self, costs: sp.csr_matrix, nhi: int, vhi: float) -> None:
        w, d = self.w, self.d
        # paths are a few members long: Python floats beat numpy calls on them
        values, volumes = w.tolist(), d.tolist()
        while self.count < nhi:
            sources = np.nonzero(self.inside)[0]
            dist, pred, _ = dijkstra(
                costs, indices=sources, min_only=True, return_predecessors=True
            )
            cand = np.nonzero(~self.inside & np.isfinite(dist) & (w > 0))[0]
            if not len(cand):
                return
            # the path cost counts the target's own epsilon only: rank by w - dist
            cand = cand[np.argsort(-(w[cand] - dist[cand]), kind="stable")][:PATHS_TRIED]
            inside, before = self.inside.tolist(), pred.tolist()
            best: tuple[float, list[int], float] | None = None
            for v in cand.tolist():
                path, u, gain, extra = [], v, 0.0, 0.0
                while u >= 0 and not inside[u]:
                    path.append(u)
                    gain += values[u]
                    extra += volumes[u]
                    u = before[u]
                if self.count + len(path) > nhi or self.volume + extra > vhi:
                    continue
                if best is None or gain > best[0]:
                    best = (gain, path, extra)
            if best is None or best[0] <= 0:
                return
            gain, path, extra = best
            self.inside[path] = True
            self.count += len(path)
            self.volume += extra
            self.value += gain

    def fill(self, nlo: int, nhi: int, vlo: float, vhi: float) -> None:
        g = self.graph
        while (self.count < nlo or self.volume < vlo) and self.count < nhi:
            members = np.nonzero(self.inside)[0]
            front = np.zeros(len(self.w), dtype=bool)
            for u in members.tolist():
                front[g.indices[g.indptr[u] : g.indptr[u + 1]]] = True
            cand = np.nonzero(front & ~self.inside & (self.volume + self.d <= vhi))[0]
            if not len(cand):
                return
            j = int(cand[np.argmax(self.w[cand])])
            self.inside[j] = True
            self.count += 1
            self.volume += float(self.d[j])
            self.value += float(self.w[j])

    def prune(self, nlo: int, vlo: float, neighbours: list[list[int]]) -> None:
        w, d = self.w, self.d
        changed = True
        while changed:
            changed = False
            members = np.nonzero(self.inside)[0]
            negative = members[w[members] < 0]
            listed = members.tolist()
            for u in negative[np.argsort(w[negative], kind="stable")].tolist():
                if self.count - 1 < nlo or self.volume - d[u] < vlo:
                    continue
                if _holds_without(neighbours, listed, u):
                    self.inside[u] = False
                    self.count -= 1
                    self.volume -= float(d[u])
                    self.value -= float(w[u])
                    changed = True
                    break


def _holds_without(neighbours: list[list[int]], members: list[int], u: int) -> bool:
    """Whether the members other than u stay connected (a search over the set)."""
    rest = set(members)
    rest.discard(u)
    if not rest:
        return True
    first = next(iter(rest))
    seen, stack = {first}, [first]
    while stack:
        for v in neighbours[stack.pop()]:
            if v in rest and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(rest)


def _improve(
    graph: sp.csr_matrix,
    neighbours: list[list[int]],
    w: np.ndarray,
    d: np.ndarray,
    inside: np.ndarray,
    window: tuple[int, int, float, float],
) -> np.ndarray:
    """Local search from a connected set in its windows (local indices): first
    improving move of add / drop / exchange, MOVES at most. Connectivity and both
    windows are kept by every move."""
    nlo, nhi, vlo, vhi = window
    inside = inside.copy()
    for _ in range(MOVES):
        members = np.nonzero(inside)[0]
        count, volume = len(members), float(d[members].sum())
        touching = graph @ inside.astype(np.float64)  # adjacent members per organization
        outside = ~inside & (touching > 0)
        if count < nhi:
            cand = np.nonzero(outside & (w > 0) & (volume + d <= vhi))[0]
            if len(cand):
                inside[cand[np.argmax(w[cand])]] = True
                continue
        if count == 1:
            break
        listed = members.tolist()
        moved = False
        for u in members[np.argsort(w[members], kind="stable")][:SWAPS_TRIED].tolist():
            if not _holds_without(neighbours, listed, u):
                continue  # u holds the set together
            if w[u] < 0 and count > nlo and volume - d[u] >= vlo:
                inside[u] = False
                moved = True
                break
            # a neighbour of the rest (not only of u) worth more than u
            near = touching.copy()
            near[neighbours[u]] -= 1.0
            left = volume - d[u]
            cand = np.nonzero(
                ~inside & (near > 0.5) & (w > w[u]) & (left + d >= vlo) & (left + d <= vhi)
            )[0]
            if len(cand):
                inside[u] = False
                inside[cand[np.argmax(w[cand])]] = True
                moved = True
                break
        if not moved:
            break
    return inside


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
    nlo, nhi, vlo, vhi = window
    eligible = np.nonzero(np.isfinite(w))[0]
    if not len(eligible):
        return -np.inf, None
    graph = adj[eligible][:, eligible].tocsr()
    we, de = w[eligible], d[eligible]
    local = np.full(len(w), -1)
    local[eligible] = np.arange(len(eligible))
    order = np.argsort(-we, kind="stable")[:seeds].tolist()
    if first is not None:
        ahead = [int(local[i]) for i in first.tolist() if local[i] >= 0]
        order = list(dict.fromkeys(ahead + order))
    kth = float(np.sort(we)[::-1][min(nhi, len(we)) - 1])
    neighbours = [
        graph.indices[graph.indptr[i] : graph.indptr[i + 1]].tolist() for i in range(len(we))
    ]
    best_value, best_set = -np.inf, None
    seen: set[bytes] = set()
    for price in dict.fromkeys(f * max(0.0, kth) for f in prices):
        shifted = we - price
        # an arc u->v costs what v takes away; a small epsilon prefers short paths
        # (scipy reads a stored zero as "no arc")
        node_cost = np.maximum(0.0, -shifted) + 1e-9 * max(1.0, float(np.abs(shifted).max()))
        costs = sp.csr_matrix(
            (node_cost[graph.indices], graph.indices, graph.indptr), shape=graph.shape
        )
        for seed in order:
            if de[seed] > vhi:
                continue
            grown = _Growth(graph, shifted, de, seed)
            grown.attach_paths(costs, nhi, vhi)
            grown.fill(nlo, nhi, vlo, vhi)
            grown.prune(nlo, vlo, neighbours)
            if not (nlo <= grown.count <= nhi and vlo <= grown.volume <= vhi):
                continue
            key = grown.inside.tobytes()
            if key in seen:
                continue
            seen.add(key)
            inside = _improve(graph, neighbours, we, de, grown.inside, window)
            value = float(we[inside].sum())
            if value > best_value:
                best_value, best_set = value, eligible[np.nonzero(inside)[0]]
    return best_value, best_set
