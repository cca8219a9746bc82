"""The iterated local search of connected pricing (``lots.polish``).

Cut vertices (``lots.kernels``) against networkx's articulation points; the search from a connected
set in its windows against enumeration of every member set (never worse than its
start, always connected and in the windows, never above the best); and one case
that only the path move solves.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from test_lots_connected import _assert_found_set, _best_connected, _cases, _random_graph

from consortia.solvers.lots.connected import grow_connected
from consortia.solvers.lots.kernels import cut_vertices
from consortia.solvers.lots.polish import polish


def test_cut_vertices_are_the_articulation_points() -> None:
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(300):
        n = int(rng.integers(2, 14))
        adj, _ = _random_graph(rng, n)
        g = nx.from_scipy_sparse_array(adj)
        members = sorted(max(nx.connected_components(g), key=len))
        inside = np.zeros(n, dtype=bool)
        inside[members] = True
        want = set(nx.articulation_points(g.subgraph(members)))
        got = cut_vertices(adj.indptr.astype(np.int64), adj.indices.astype(np.int64), inside)
        assert set(np.nonzero(got)[0].tolist()) == want, members
        checked += len(want) > 0
    assert checked > 50


def test_polish_keeps_connected_sets_in_the_windows_and_never_loses() -> None:
    improved = polished = 0
    for seed in range(120):
        adj, neighbours, _, d, subproblems = _cases(seed)
        for w, window in subproblems:
            # a weak start: the growth from one seed at the true values
            start_value, start = grow_connected(adj, w, d, window, seeds=1, prices=(0.0,))
            if start is None:
                continue
            truth = _best_connected(w, d, window, neighbours)
            value, members = polish(adj, w, d, window, start)
            polished += 1
            _assert_found_set(members, value, w, d, window, neighbours)
            assert start_value - 1e-9 <= value <= truth + 1e-9
            improved += value > start_value + 1e-9
    assert polished > 150 and improved > 5


def test_a_valuable_member_two_steps_away_joins_through_a_connector() -> None:
    """Start {0, 1} with n_hi = 3: no single add (the connector 2 is negative) or
    exchange gains; the path 2-3 in for member 1 out does (6 -> 14.5)."""
    edges = [(0, 1), (0, 2), (2, 3), (1, 4)]
    rows, cols = zip(*(edges + [(b, a) for a, b in edges]), strict=True)
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(5, 5))
    w = np.array([5.0, 1.0, -0.5, 10.0, -3.0])
    d = np.ones(5)
    value, members = polish(adj, w, d, (2, 3, 0.0, np.inf), np.array([0, 1]), kicks=0)
    assert sorted(members.tolist()) == [0, 2, 3]
    assert value == pytest.approx(14.5)
