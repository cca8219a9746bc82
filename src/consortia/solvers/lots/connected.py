"""Connected member sets for real columns (a heuristic; it proves nothing).

Pricing ignores the collaboration graph (rule 7), so its member sets are often
scattered. For a subproblem with member values w_o (-inf when not eligible) we
grow connected sets: from each of a few seeds (the best w_o), repeatedly add the
eligible neighbour of the set with the largest w_o, allowing negative values
while the count or the volume is below its window (connectors), and keep the best
prefix that satisfies both windows. Cost per set: O(n_hi * N) numpy work.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from consortia.data.instance import Instance


def category_graph(inst: Instance, orgs: list[str]) -> sp.csr_matrix | None:
    """Adjacency of the collaboration graph among a category's organizations."""
    nb = inst.neighbours
    if nb is None:
        return None
    pos = {o: i for i, o in enumerate(orgs)}
    rows, cols = [], []
    for i, o in enumerate(orgs):
        for x in nb[o]:
            j = pos.get(x)
            if j is not None:
                rows.append(i)
                cols.append(j)
    n = len(orgs)
    return sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))


def grow_connected(
    adj: sp.csr_matrix,
    w: np.ndarray,
    d: np.ndarray,
    window: tuple[int, int, float, float],
    seeds: int = 3,
) -> tuple[float, np.ndarray | None]:
    """Best connected set found: (sum of w, member indices) or (-inf, None)."""
    nlo, nhi, vlo, vhi = window
    finite = np.isfinite(w)
    if not finite.any():
        return -np.inf, None
    order = np.argsort(-np.where(finite, w, -np.inf), kind="stable")
    best_value, best_set = -np.inf, None
    indptr, indices = adj.indptr, adj.indices
    for seed in order[: min(seeds, int(finite.sum()))]:
        inside = np.zeros(len(w), dtype=bool)
        frontier = np.zeros(len(w), dtype=bool)
        members = [int(seed)]
        inside[seed] = True
        frontier[indices[indptr[seed] : indptr[seed + 1]]] = True
        value, volume = float(w[seed]), float(d[seed])
        while True:
            n = len(members)
            if nlo <= n <= nhi and vlo <= volume <= vhi and value > best_value:
                best_value, best_set = value, np.array(members)
            if n >= nhi:
                break
            cand = frontier & ~inside & finite
            if not cand.any():
                break
            scores = np.where(cand, w, -np.inf)
            j = int(np.argmax(scores))
            if scores[j] <= 0 and n >= nlo and volume >= vlo:
                break
            if volume + d[j] > vhi:
                break
            members.append(j)
            inside[j] = True
            frontier[indices[indptr[j] : indptr[j + 1]]] = True
            value += float(w[j])
            volume += float(d[j])
    return best_value, best_set
