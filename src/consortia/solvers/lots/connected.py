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

The best set over the seeds that meets both windows is returned.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

PATHS_TRIED = 20  # candidate paths evaluated per attachment, by estimated gain


class _Growth:
    """One connected set on the eligible subgraph (local indices 0..m-1)."""

    def __init__(self, graph: sp.csr_matrix, w: np.ndarray, d: np.ndarray, seed: int):
        self.graph, self.w, self.d = graph, w, d
        self.inside = np.zeros(len(w), dtype=bool)
        self.inside[seed] = True
        self.count, self.volume, self.value = 1, float(d[seed]), float(w[seed])

    def attach_paths(self, costs: sp.csr_matrix, nhi: int, vhi: float) -> None:
        w, d = self.w, self.d
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
            best: tuple[float, list[int], float] | None = None
            for v in cand.tolist():
                path, u = [], v
                while u >= 0 and not self.inside[u]:
                    path.append(u)
                    u = int(pred[u])
                gain, extra = float(w[path].sum()), float(d[path].sum())
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

    def prune(self, nlo: int, vlo: float) -> None:
        w, d = self.w, self.d
        changed = True
        while changed:
            changed = False
            members = np.nonzero(self.inside)[0]
            negative = members[w[members] < 0]
            for u in negative[np.argsort(w[negative], kind="stable")].tolist():
                if self.count - 1 < nlo or self.volume - d[u] < vlo:
                    continue
                rest = members[members != u]
                if connected_components(self.graph[rest][:, rest], directed=False)[0] == 1:
                    self.inside[u] = False
                    self.count -= 1
                    self.volume -= float(d[u])
                    self.value -= float(w[u])
                    changed = True
                    break


def grow_connected(
    adj: sp.csr_matrix,
    w: np.ndarray,
    d: np.ndarray,
    window: tuple[int, int, float, float],
    seeds: int = 3,
    first: np.ndarray | None = None,
) -> tuple[float, np.ndarray | None]:
    """Best connected set found: (sum of w, member indices) or (-inf, None).
    Seeds are the best `seeds` members by w, after those listed in `first`."""
    nlo, nhi, vlo, vhi = window
    eligible = np.nonzero(np.isfinite(w))[0]
    if not len(eligible):
        return -np.inf, None
    graph = adj[eligible][:, eligible].tocsr()
    we, de = w[eligible], d[eligible]
    # an arc u->v costs what v takes away; a small epsilon prefers short paths
    # (scipy reads a stored zero as "no arc")
    node_cost = np.maximum(0.0, -we) + 1e-9 * max(1.0, float(np.abs(we).max()))
    costs = sp.csr_matrix(
        (node_cost[graph.indices], graph.indices, graph.indptr), shape=graph.shape
    )
    best_value, best_set = -np.inf, None
    local = np.full(len(w), -1)
    local[eligible] = np.arange(len(eligible))
    order = np.argsort(-we, kind="stable")[:seeds].tolist()
    if first is not None:
        ahead = [int(local[i]) for i in first.tolist() if local[i] >= 0]
        order = list(dict.fromkeys(ahead + order))
    for seed in order:
        if de[seed] > vhi:
            continue
        grown = _Growth(graph, we, de, seed)
        grown.attach_paths(costs, nhi, vhi)
        grown.fill(nlo, nhi, vlo, vhi)
        grown.prune(nlo, vlo)
        ok = nlo <= grown.count <= nhi and vlo <= grown.volume <= vhi
        if ok and grown.value > best_value:
            best_value, best_set = grown.value, eligible[np.nonzero(grown.inside)[0]]
    return best_value, best_set
