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

from consortia.solvers.lots.settle import Window

PATH_DEPTH = 3  # farthest member a path move reaches (steps from the set)
PATH_TARGETS = 12  # most valuable members beyond the neighbours tried per path move
MOVES = 200  # moves per local search
KICKS = 6  # perturbations of the local optimum
KICK_SIZE = 3  # members dropped by a perturbation
REFILL_CHOICES = 4  # a perturbation refills with one of the best this many neighbours


def cut_vertices(neighbours: list[list[int]], members: list[int]) -> set[int]:
    """Members whose removal disconnects the (connected) set: Tarjan's
    articulation points of the induced subgraph, by an iterative depth-first search."""
    if len(members) < 3:
        return set()
    inside = set(members)
    root = members[0]
    order = {root: 0}
    low = {root: 0}
    cuts: set[int] = set()
    children = 0
    stack = [(root, -1, iter(neighbours[root]))]
    while stack:
        u, parent, rest = stack[-1]
        deeper = False
        for v in rest:
            if v not in inside or v == parent:
                continue
            if v in order:
                low[u] = min(low[u], order[v])
                continue
            order[v] = low[v] = len(order)
            stack.append((v, u, iter(neighbours[v])))
            children += u == root
            deeper = True
            break
        if deeper:
            continue
        stack.pop()
        if stack:
            p = stack[-1][0]
            low[p] = min(low[p], low[u])
            if p != root and low[u] >= order[p]:
                cuts.add(p)
    if children > 1:
        cuts.add(root)
    return cuts


class _Search:
    """The local search on one subproblem: the eligible members only (local
    indices 0..m-1, every value finite)."""

    def __init__(self, graph: sp.csr_matrix, w: np.ndarray, d: np.ndarray, window: Window):
        self.graph, self.w, self.d, self.window = graph, w, d, window
        self.neighbours = [
            graph.indices[graph.indptr[i] : graph.indptr[i + 1]].tolist()
            for i in range(graph.shape[0])
        ]
        self.eps = 1e-9 * max(1.0, float(np.abs(w).max()) if len(w) else 1.0)

    def fits(self, inside: np.ndarray) -> bool:
        nlo, nhi, vlo, vhi = self.window
        count, volume = int(inside.sum()), float(self.d[inside].sum())
        return nlo <= count <= nhi and vlo <= volume <= vhi

    def best_move(self, inside: np.ndarray) -> np.ndarray | None:
        """The set after the best single add, drop or exchange (None: none gains)."""
        w, d = self.w, self.d
        nlo, nhi, vlo, vhi = self.window
        members = np.nonzero(inside)[0].tolist()
        count, volume = len(members), float(d[inside].sum())
        touching = self.graph @ inside.astype(np.float64)
        gain, move = self.eps, None
        if count < nhi:
            cand = np.nonzero(~inside & (touching > 0) & (volume + d <= vhi))[0]
            if len(cand):
                v = int(cand[np.argmax(w[cand])])
                if w[v] > gain:
                    gain, move = float(w[v]), (-1, v)
        if count > 1:
            cuts = cut_vertices(self.neighbours, members)
            for u in members:
                if u in cuts:
                    continue
                if -w[u] > gain and count > nlo and volume - d[u] >= vlo:
                    gain, move = float(-w[u]), (u, -1)
                near = touching.copy()
                near[self.neighbours[u]] -= 1.0
                left = volume - d[u]
                cand = np.nonzero(~inside & (near > 0.5) & (left + d >= vlo) & (left + d <= vhi))[0]
                if len(cand):
                    v = int(cand[np.argmax(w[cand])])
                    if w[v] - w[u] > gain:
                        gain, move = float(w[v] - w[u]), (u, v)
        if move is None:
            return None
        out = inside.copy()
        u, v = move
        if u >= 0:
            out[u] = False
        if v >= 0:
            out[v] = True
        return out

    def best_path(self, inside: np.ndarray) -> np.ndarray | None:
        """The set after the best path move (None: none gains): a valuable member
        2..PATH_DEPTH steps away and the connectors to it (each the most valuable
        of its layer's choices) join, the weakest members that can go leave."""
        w, d = self.w, self.d
        nlo, nhi, vlo, vhi = self.window
        m = len(w)
        members = np.nonzero(inside)[0].tolist()
        volume = float(d[inside].sum())
        step = np.full(m, -1)
        step[inside] = 0
        pred = np.full(m, -1)
        frontier = members
        for k in range(1, PATH_DEPTH + 1):
            reached = []
            for u in frontier:
                for v in self.neighbours[u]:
                    if step[v] == -1:
                        step[v], pred[v] = k, u
                        reached.append(v)
                    elif step[v] == k and w[u] > w[pred[v]]:
                        pred[v] = u
            frontier = reached
        cand = np.nonzero((step >= 2) & (w > 0))[0]
        cand = cand[np.argsort(-w[cand], kind="stable")][:PATH_TARGETS]
        weakest = sorted(members, key=lambda u: float(w[u]))
        gain, best = self.eps, None
        for v in cand.tolist():
            path, u = [], v
            while step[u] > 0:
                path.append(u)
                u = int(pred[u])
            anchor = u
            chosen = members + path
            vol = volume + float(d[path].sum())
            value = float(w[path].sum())
            for x in weakest:
                if len(chosen) <= nhi and vol <= vhi and w[x] >= 0:
                    break
                if x == anchor or len(chosen) - 1 < nlo or vol - d[x] < vlo:
                    continue
                if x in cut_vertices(self.neighbours, chosen):
                    continue
                chosen = [y for y in chosen if y != x]
                vol -= float(d[x])
                value -= float(w[x])
            if len(chosen) > nhi or not vlo <= vol <= vhi or value <= gain:
                continue
            gain, best = value, chosen
        if best is None:
            return None
        out = np.zeros(m, dtype=bool)
        out[best] = True
        return out

    def descend(self, inside: np.ndarray) -> np.ndarray:
        """Best moves until none gains (MOVES at most), path moves when exchanges stop."""
        for _ in range(MOVES):
            nxt = self.best_move(inside)
            if nxt is None:
                nxt = self.best_path(inside)
            if nxt is None:
                break
            inside = nxt
        return inside

    def kick(self, inside: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Drop KICK_SIZE random members that are no cut vertices, refill to n_hi
        from the best neighbours (one of the best few at random)."""
        nhi, vhi = self.window[1], self.window[3]
        out = inside.copy()
        for _ in range(KICK_SIZE):
            members = np.nonzero(out)[0].tolist()
            if len(members) <= 1:
                break
            cuts = cut_vertices(self.neighbours, members)
            free = [u for u in members if u not in cuts]
            out[free[int(rng.integers(len(free)))]] = False
        while int(out.sum()) < nhi:
            touching = self.graph @ out.astype(np.float64)
            volume = float(self.d[out].sum())
            cand = np.nonzero(~out & (touching > 0) & (volume + self.d <= vhi))[0]
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
