"""Compiled graph kernels of the connected-lot heuristics (``connected``, ``polish``).

The heuristics walk small graphs (the eligible members of one piece: tens to a
few thousand organizations) thousands of times a round, one member at a time;
in Python those loops took about a third of a 200-organization run's time
(path growth, cut vertices, local search). Here they are compiled by numba, on
the graph in CSR arrays (``indptr``, ``indices``; local indices 0..m-1) and a
boolean membership mask. Each function states the move rule it implements; the
modules that call them own the strategy (seeds, prices, kicks).

numba compiles each kernel once per machine (``cache=True`` keeps the machine
code beside the module), so the first solve after installation pays a few seconds.
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse as sp
from numba import njit

# (n_lo, n_hi, v_lo, v_hi): plain ints and floats, one machine-code signature
Window = tuple[int, int, float, float]


def limits(window: tuple[float, float, float, float]) -> Window:
    """A window as the kernels take it (one machine-code signature for all)."""
    return (int(window[0]), int(window[1]), float(window[2]), float(window[3]))


def csr(graph: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """A graph's CSR arrays as the kernels take them (int64 indptr, indices)."""
    return graph.indptr.astype(np.int64), graph.indices.astype(np.int64)


def fits(inside: np.ndarray, d: np.ndarray, window: Window) -> bool:
    """Whether a member set's count and volume are in the windows."""
    count, volume = int(inside.sum()), float(d[inside].sum())
    return window[0] <= count <= window[1] and window[2] <= volume <= window[3]


PATHS_TRIED = 20  # candidate paths evaluated per attachment, by estimated gain
GROWTH_MOVES = 60  # local-search moves per grown set
SWAPS_TRIED = 8  # weakest members tried for removal in an exchange
PATH_DEPTH = 3  # farthest member a path move reaches (steps from the set)
PATH_TARGETS = 12  # most valuable members beyond the neighbours tried per path move
POLISH_MOVES = 200  # moves per local search of ``polish``


@njit(cache=True)
def touching(indptr: np.ndarray, indices: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """For every node, how many of its neighbours are inside."""
    out = np.zeros(len(inside), dtype=np.int64)
    for u in range(len(inside)):
        if inside[u]:
            for k in range(indptr[u], indptr[u + 1]):
                out[indices[k]] += 1
    return out


@njit(cache=True)
def holds_without(indptr: np.ndarray, indices: np.ndarray, inside: np.ndarray, u: int) -> bool:
    """Whether the members other than u stay connected (a search over the set)."""
    n = len(inside)
    first = -1
    total = 0
    for v in range(n):
        if inside[v] and v != u:
            total += 1
            if first < 0:
                first = v
    if total == 0:
        return True
    seen = np.zeros(n, dtype=np.bool_)
    seen[first] = True
    stack = np.empty(total, dtype=np.int64)
    stack[0] = first
    top, reached = 1, 1
    while top:
        top -= 1
        x = stack[top]
        for k in range(indptr[x], indptr[x + 1]):
            v = indices[k]
            if inside[v] and v != u and not seen[v]:
                seen[v] = True
                stack[top] = v
                top += 1
                reached += 1
    return reached == total


@njit(cache=True)
def cut_vertices(indptr: np.ndarray, indices: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Members whose removal disconnects the (connected) member set: Tarjan's
    articulation points of the induced subgraph, by an iterative depth-first
    search from the member of least index (the set does not depend on the root)."""
    n = len(inside)
    cuts = np.zeros(n, dtype=np.bool_)
    members = np.nonzero(inside)[0]
    if len(members) < 3:
        return cuts
    root = members[0]
    order = np.full(n, -1, dtype=np.int64)
    low = np.zeros(n, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    cursor = np.zeros(n, dtype=np.int64)  # next neighbour position per node
    stack = np.empty(len(members), dtype=np.int64)
    order[root] = 0
    low[root] = 0
    cursor[root] = indptr[root]
    stack[0] = root
    top, counter, children = 1, 1, 0
    while top:
        u = stack[top - 1]
        deeper = False
        while cursor[u] < indptr[u + 1]:
            v = indices[cursor[u]]
            cursor[u] += 1
            if not inside[v] or v == parent[u]:
                continue
            if order[v] >= 0:
                if order[v] < low[u]:
                    low[u] = order[v]
                continue
            order[v] = counter
            low[v] = counter
            counter += 1
            parent[v] = u
            cursor[v] = indptr[v]
            stack[top] = v
            top += 1
            if u == root:
                children += 1
            deeper = True
            break
        if deeper:
            continue
        top -= 1
        if top:
            p = stack[top - 1]
            if low[u] < low[p]:
                low[p] = low[u]
            if p != root and low[u] >= order[p]:
                cuts[p] = True
    if children > 1:
        cuts[root] = True
    return cuts


@njit(cache=True)
def _best_outside(
    inside: np.ndarray,
    near: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    volume: float,
    vlo: float,
    vhi: float,
    floor: float,
) -> int:
    """The node outside the set with a member neighbour (near > 0), volume + d in
    [vlo, vhi] and w above `floor`, of largest w (least index among ties); -1: none."""
    j = -1
    for v in range(len(w)):
        if inside[v] or near[v] <= 0 or w[v] <= floor:
            continue
        if volume + d[v] < vlo or volume + d[v] > vhi:
            continue
        if j < 0 or w[v] > w[j]:
            j = v
    return j


@njit(cache=True)
def _shift(
    near: np.ndarray, indptr: np.ndarray, indices: np.ndarray, u: int | np.integer, by: int
) -> None:
    """Add `by` to the member-neighbour count of u's neighbours (u leaving: -1)."""
    for k in range(indptr[u], indptr[u + 1]):
        near[indices[k]] += by


@njit(cache=True)
def _nearest(
    indptr: np.ndarray, indices: np.ndarray, cost: np.ndarray, inside: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source Dijkstra from the set over node costs (entering v costs
    cost[v]): (distance, predecessor) per node, -1 for the sources and the unreached."""
    n = len(cost)
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    heap = [(0.0, 0)]
    heap.pop()
    for i in range(n):
        if inside[i]:
            dist[i] = 0.0
            heap.append((0.0, i))
    heapq.heapify(heap)
    while heap:
        du, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            nd = du + cost[v]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = u
                heapq.heappush(heap, (nd, v))
    return dist, pred


@njit(cache=True)
def grow(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    cost: np.ndarray,
    seed: int,
    window: Window,
) -> np.ndarray:
    """A connected set grown from `seed` (``connected`` module, steps 1-3):

    1. attach paths while the count allows: the cheapest path (node costs `cost`)
       from the set to every node of positive w; of the PATHS_TRIED best by
       w - distance, the path adding the most w that keeps both upper limits joins,
       while that sum is positive;
    2. while below a lower limit, the best neighbour joins;
    3. negative members whose removal keeps the set connected and in its windows
       leave, most negative first.
    """
    nlo, nhi, vlo, vhi = window
    n = len(w)
    inside = np.zeros(n, dtype=np.bool_)
    inside[seed] = True
    count, volume = 1, d[seed]
    while count < nhi:
        dist, pred = _nearest(indptr, indices, cost, inside)
        cand = np.nonzero(~inside & np.isfinite(dist) & (w > 0))[0]
        if len(cand) == 0:
            break
        # the path cost counts the target's own epsilon only: rank by w - dist
        rank = np.argsort(-(w[cand] - dist[cand]), kind="mergesort")
        best_gain, best_target, best_extra, best_len = -np.inf, -1, 0.0, 0
        for t in range(min(PATHS_TRIED, len(rank))):
            v = cand[rank[t]]
            u, gain, extra, length = v, 0.0, 0.0, 0
            while u >= 0 and not inside[u]:
                gain += w[u]
                extra += d[u]
                length += 1
                u = pred[u]
            if count + length > nhi or volume + extra > vhi:
                continue
            if best_target < 0 or gain > best_gain:
                best_gain, best_target, best_extra, best_len = gain, v, extra, length
        if best_target < 0 or best_gain <= 0:
            break
        u = best_target
        while u >= 0 and not inside[u]:
            inside[u] = True
            u = pred[u]
        count += best_len
        volume += best_extra
    # 2: fill to the lower limits
    while (count < nlo or volume < vlo) and count < nhi:
        near = touching(indptr, indices, inside)
        j = _best_outside(inside, near, w, d, volume, -np.inf, vhi, -np.inf)
        if j < 0:
            break
        inside[j] = True
        count += 1
        volume += d[j]
    # 3: prune negative members
    changed = True
    while changed:
        changed = False
        members = np.nonzero(inside)[0]
        negative = members[w[members] < 0]
        negative = negative[np.argsort(w[negative], kind="mergesort")]
        for u in negative:
            if count - 1 < nlo or volume - d[u] < vlo:
                continue
            if holds_without(indptr, indices, inside, u):
                inside[u] = False
                count -= 1
                volume -= d[u]
                changed = True
                break
    return inside


@njit(cache=True)
def grow_ahead(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    seed: int,
    window: Window,
    ahead: float,
) -> np.ndarray:
    """The best prefix, within both windows, of a growth from `seed` one neighbour at
    a time: the neighbour of the set that keeps the volume limit and has the largest
    w_v + `ahead` * max(0, w_u over its neighbours u not yet next to the set) joins,
    until n_hi members (or none fits). The look one step ahead lets a member worth
    little bridge to one worth much; the growth does not stop at the first member
    that loses money, since the count window often asks for more. Empty when no
    prefix fits the windows."""
    nlo, nhi, vlo, vhi = window
    n = len(w)
    inside = np.zeros(n, dtype=np.bool_)
    near = np.zeros(n, dtype=np.bool_)
    order = np.empty(max(1, min(nhi, n)), dtype=np.int64)
    inside[seed] = True
    order[0] = seed
    count, value, volume = 1, w[seed], d[seed]
    for k in range(indptr[seed], indptr[seed + 1]):
        near[indices[k]] = True
    best_value, best_count = -np.inf, 0
    if count >= nlo and vlo <= volume <= vhi:
        best_value, best_count = value, count
    while count < nhi:
        pick, pick_score = -1, -np.inf
        for v in range(n):
            if not near[v] or inside[v] or volume + d[v] > vhi or not np.isfinite(w[v]):
                continue
            beyond = 0.0
            for k in range(indptr[v], indptr[v + 1]):
                u = indices[k]
                if not inside[u] and not near[u] and w[u] > beyond:
                    beyond = w[u]
            score = w[v] + ahead * beyond
            if score > pick_score:
                pick, pick_score = v, score
        if pick < 0:
            break
        inside[pick] = True
        order[count] = pick
        count += 1
        value += w[pick]
        volume += d[pick]
        for k in range(indptr[pick], indptr[pick + 1]):
            near[indices[k]] = True
        if count >= nlo and vlo <= volume <= vhi and value > best_value:
            best_value, best_count = value, count
    out = np.zeros(n, dtype=np.bool_)
    for i in range(best_count):
        out[order[i]] = True
    return out


@njit(cache=True)
def best_ahead(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    window: Window,
    ahead: float,
    seeds: np.ndarray,
) -> np.ndarray:
    """The best set ``grow_ahead`` finds from the `seeds` (of finite w within the
    volume limit; empty when none fits the windows)."""
    best = np.zeros(len(w), dtype=np.bool_)
    best_value = -np.inf
    for seed in seeds:
        if not np.isfinite(w[seed]) or d[seed] > window[3]:
            continue
        grown = grow_ahead(indptr, indices, w, d, seed, window, ahead)
        if grown.any():
            value = w[grown].sum()
            if value > best_value:
                best, best_value = grown, value
    return best


@njit(cache=True)
def grow_beam(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    window: Window,
    width: int,
    ahead: float,
    seeds: np.ndarray,
    keys: np.ndarray,
) -> np.ndarray:
    """Beam search over connected sets: the `width` first `seeds` (finite w, within
    the volume limit) are the sets of one member; each step extends every set kept
    by one neighbour (keeping the volume limit) and keeps the `width` best distinct
    extensions by sum w + `ahead` * max(0, best w next to the new member), up to n_hi
    members. Returns the set of largest sum w met within both windows (empty if
    none). Every connected set of k + 1 members is a connected set of k members and
    a neighbour (drop a leaf of a spanning tree), so with an unbounded width this
    enumerates every connected set and is exact. Sets are told apart by the xor of
    their members' random `keys` (a clash only drops a candidate)."""
    nlo, nhi, vlo, vhi = window
    n = len(w)
    beyond = np.zeros(n)
    for v in range(n):
        for k in range(indptr[v], indptr[v + 1]):
            beyond[v] = max(beyond[v], w[indices[k]])
    members = np.zeros((width, max(1, nhi)), dtype=np.int64)
    value, volume = np.empty(width), np.empty(width)
    key = np.empty(width, dtype=np.int64)
    kept = 0
    for s in seeds:
        if kept == width:
            break
        if np.isfinite(w[s]) and d[s] <= vhi:
            members[kept, 0], value[kept], volume[kept], key[kept] = s, w[s], d[s], keys[s]
            kept += 1
    best = np.zeros(n, dtype=np.bool_)
    best_value = -np.inf
    inside = np.zeros(n, dtype=np.bool_)
    seen = np.full(n, -1, dtype=np.int64)
    parent = np.empty(width * n, dtype=np.int64)
    joins = np.empty(width * n, dtype=np.int64)
    score = np.empty(width * n)
    size = 1
    while kept > 0:
        if size >= nlo:
            for b in range(kept):
                if volume[b] >= vlo and value[b] > best_value:
                    best_value = value[b]
                    best[:] = False
                    for t in range(size):
                        best[members[b, t]] = True
        if size >= nhi:
            break
        found = 0
        for b in range(kept):
            for t in range(size):
                inside[members[b, t]] = True
            for t in range(size):
                u = members[b, t]
                for k in range(indptr[u], indptr[u + 1]):
                    v = indices[k]
                    if inside[v] or seen[v] == b or not np.isfinite(w[v]):
                        continue
                    seen[v] = b
                    if volume[b] + d[v] > vhi:
                        continue
                    parent[found], joins[found] = b, v
                    score[found] = value[b] + w[v] + ahead * max(0.0, beyond[v])
                    found += 1
            for t in range(size):
                inside[members[b, t]] = False
        seen[:] = -1
        nxt = np.empty_like(members)
        nxt_value, nxt_volume = np.empty(width), np.empty(width)
        nxt_key = np.empty(width, dtype=np.int64)
        taken = 0
        for i in np.argsort(-score[:found]):
            b, v = parent[i], joins[i]
            h = key[b] ^ keys[v]
            clash = False
            for j in range(taken):
                if nxt_key[j] == h:
                    clash = True
                    break
            if clash:
                continue
            nxt[taken, :size] = members[b, :size]
            nxt[taken, size] = v
            nxt_value[taken], nxt_volume[taken] = value[b] + w[v], volume[b] + d[v]
            nxt_key[taken] = h
            taken += 1
            if taken == width:
                break
        members, value, volume, key, kept = nxt, nxt_value, nxt_volume, nxt_key, taken
        size += 1
    return best


@njit(cache=True)
def improve(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    start: np.ndarray,
    window: Window,
) -> np.ndarray:
    """Local search from a connected set in its windows (``connected`` step 4):
    the first improving move of add (best neighbour of positive value while the
    count allows), drop (a negative member that is no cut vertex) or exchange (one
    of the SWAPS_TRIED weakest members that is no cut vertex for the best
    neighbour of the rest worth more), GROWTH_MOVES at most."""
    nlo, nhi, vlo, vhi = window
    inside = start.copy()
    for _ in range(GROWTH_MOVES):
        members = np.nonzero(inside)[0]
        count = len(members)
        volume = 0.0
        for u in members:
            volume += d[u]
        near = touching(indptr, indices, inside)
        if count < nhi:
            j = _best_outside(inside, near, w, d, volume, -np.inf, vhi, 0.0)
            if j >= 0:
                inside[j] = True
                continue
        if count == 1:
            break
        moved = False
        weakest = members[np.argsort(w[members], kind="mergesort")]
        for t in range(min(SWAPS_TRIED, len(weakest))):
            u = weakest[t]
            if not holds_without(indptr, indices, inside, u):
                continue  # u holds the set together
            if w[u] < 0 and count > nlo and volume - d[u] >= vlo:
                inside[u] = False
                moved = True
                break
            # a neighbour of the rest (not only of u) worth more than u
            _shift(near, indptr, indices, u, -1)
            j = _best_outside(inside, near, w, d, volume - d[u], vlo, vhi, w[u])
            _shift(near, indptr, indices, u, 1)
            if j >= 0:
                inside[u] = False
                inside[j] = True
                moved = True
                break
        if not moved:
            break
    return inside


@njit(cache=True)
def best_move(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    inside: np.ndarray,
    window: Window,
    eps: float,
) -> tuple[int, int]:
    """The best single move gaining more than `eps`, as (member out, member in),
    -1 for none; (-1, -1) when none gains: add the best neighbour (count below
    n_hi), drop a member that is no cut vertex, or exchange one for the best
    neighbour of the rest; every move keeps the set connected and in its windows."""
    nlo, nhi, vlo, vhi = window
    members = np.nonzero(inside)[0]
    count = len(members)
    volume = 0.0
    for u in members:
        volume += d[u]
    near = touching(indptr, indices, inside)
    gain, out_, in_ = eps, -1, -1
    if count < nhi:
        j = _best_outside(inside, near, w, d, volume, -np.inf, vhi, -np.inf)
        if j >= 0 and w[j] > gain:
            gain, out_, in_ = w[j], -1, j
    if count > 1:
        cuts = cut_vertices(indptr, indices, inside)
        for u in members:
            if cuts[u]:
                continue
            if -w[u] > gain and count > nlo and volume - d[u] >= vlo:
                gain, out_, in_ = -w[u], int(u), -1
            _shift(near, indptr, indices, u, -1)
            j = _best_outside(inside, near, w, d, volume - d[u], vlo, vhi, -np.inf)
            _shift(near, indptr, indices, u, 1)
            if j >= 0 and w[j] - w[u] > gain:
                gain, out_, in_ = w[j] - w[u], int(u), j
    return out_, in_


@njit(cache=True)
def best_path(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    inside: np.ndarray,
    window: Window,
    eps: float,
) -> np.ndarray:
    """The set after the best path move gaining more than `eps` (an empty array:
    none gains): a valuable member 2..PATH_DEPTH steps away and the connectors to
    it (each the most valuable of its layer's choices) join, the weakest members
    that can go leave, while the count, the volume or a negative member asks."""
    nlo, nhi, vlo, vhi = window
    n = len(w)
    members = np.nonzero(inside)[0]
    volume = 0.0
    for u in members:
        volume += d[u]
    step = np.full(n, -1, dtype=np.int64)
    pred = np.full(n, -1, dtype=np.int64)
    frontier = members.copy()
    for u in members:
        step[u] = 0
    for k in range(1, PATH_DEPTH + 1):
        reached = np.empty(n, dtype=np.int64)
        size = 0
        for u in frontier:
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if step[v] == -1:
                    step[v], pred[v] = k, u
                    reached[size] = v
                    size += 1
                elif step[v] == k and w[u] > w[pred[v]]:
                    pred[v] = u
        frontier = reached[:size].copy()
    far = np.nonzero((step >= 2) & (w > 0))[0]
    cand = far[np.argsort(-w[far], kind="mergesort")][:PATH_TARGETS].copy()
    weakest = members[np.argsort(w[members], kind="mergesort")]
    gain = eps
    best = np.zeros(0, dtype=np.bool_)
    chosen = np.zeros(n, dtype=np.bool_)
    for v in cand:
        chosen[:] = inside
        u, size, vol, value = v, len(members), volume, 0.0
        while step[u] > 0:
            chosen[u] = True
            size += 1
            vol += d[u]
            value += w[u]
            u = pred[u]
        anchor = u
        for x in weakest:
            if size <= nhi and vol <= vhi and w[x] >= 0:
                break
            if x == anchor or size - 1 < nlo or vol - d[x] < vlo:
                continue
            if cut_vertices(indptr, indices, chosen)[x]:
                continue
            chosen[x] = False
            size -= 1
            vol -= d[x]
            value -= w[x]
        if size > nhi or not (vlo <= vol <= vhi) or value <= gain:
            continue
        gain = value
        best = chosen.copy()
    return best


@njit(cache=True)
def descend(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    d: np.ndarray,
    start: np.ndarray,
    window: Window,
    eps: float,
) -> np.ndarray:
    """Best moves until none gains (POLISH_MOVES at most), path moves when single
    moves stop."""
    inside = start.copy()
    for _ in range(POLISH_MOVES):
        out_, in_ = best_move(indptr, indices, w, d, inside, window, eps)
        if out_ >= 0 or in_ >= 0:
            if out_ >= 0:
                inside[out_] = False
            if in_ >= 0:
                inside[in_] = True
            continue
        nxt = best_path(indptr, indices, w, d, inside, window, eps)
        if len(nxt) == 0:
            break
        inside = nxt
    return inside


def warm() -> None:
    """Compile every kernel that connected.py and polish.py call (about 15 s on a
    2-core machine, once per installation: numba caches the machine code), so that
    no solve pays for it within its time limit. ``make`` runs it after installing."""
    indptr = np.array([0, 1, 3, 4], dtype=np.int64)
    indices = np.array([1, 0, 2, 1], dtype=np.int64)  # the path 0 - 1 - 2
    w = np.array([1.0, -0.5, 2.0])
    d = np.ones(3)
    window: Window = (1, 3, 0.0, float(np.inf))
    grown = grow(indptr, indices, w, d, np.maximum(0.0, -w) + 1e-9, 0, window)
    best_ahead(indptr, indices, w, d, window, 1.0, np.arange(3, dtype=np.int64))
    seeds = np.arange(3, dtype=np.int64)
    grow_beam(indptr, indices, w, d, window, 2, 0.3, seeds, seeds + 1)
    improve(indptr, indices, w, d, grown, window)
    descend(indptr, indices, w, d, grown, window, 1e-9)
    cut_vertices(indptr, indices, grown)
    touching(indptr, indices, grown)
