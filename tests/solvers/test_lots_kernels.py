"""The compiled graph kernels of the connected-lot heuristics (``lots.kernels``).

Membership counts against a sparse matrix product, "still connected without u"
against networkx, the growth and the local searches keep sets connected and in
their windows on random graphs, the beam search as wide as the graph is exact
against enumeration, and ``warm`` leaves every kernel compiled (the
search in connected.py and polish.py is tested against enumeration in
test_lots_connected.py and test_lots_polish.py).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from consortia.solvers.lots import kernels


def _graph(rng: np.random.Generator, n: int) -> sp.csr_matrix:
    upper = np.triu(rng.random((n, n)) < rng.choice([0.1, 0.25, 0.5]), k=1)
    return sp.csr_matrix((upper | upper.T).astype(float))


def _arrays(adj: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    return adj.indptr.astype(np.int64), adj.indices.astype(np.int64)


def _case(rng: np.random.Generator, n: int):
    """A random graph of n members (sparse, networkx, CSR arrays), values rounded to
    tenths (so that ties occur) and volumes of 1, 2 or 5."""
    adj = _graph(rng, n)
    w = np.round(rng.normal(0.0, 10.0, n), 1)
    d = rng.choice([1.0, 2.0, 5.0], n)
    return adj, nx.from_scipy_sparse_array(adj), *_arrays(adj), w, d


def _assert_fits(g: nx.Graph, chosen: list[int], d: np.ndarray, window) -> None:
    """A chosen member set is connected and in both windows."""
    assert nx.is_connected(g.subgraph(chosen))
    assert window[0] <= len(chosen) <= window[1]
    assert window[2] <= float(d[chosen].sum()) <= window[3]


def test_touching_counts_member_neighbours() -> None:
    rng = np.random.default_rng(1)
    for _ in range(100):
        adj = _graph(rng, int(rng.integers(1, 30)))
        inside = rng.random(adj.shape[0]) < 0.4
        want = adj @ inside.astype(float)
        assert np.array_equal(kernels.touching(*_arrays(adj), inside), want.astype(np.int64))


def test_holds_without_is_connectivity_of_the_rest() -> None:
    rng = np.random.default_rng(2)
    checked = broken = 0
    for _ in range(200):
        adj = _graph(rng, int(rng.integers(2, 16)))
        g = nx.from_scipy_sparse_array(adj)
        inside = rng.random(adj.shape[0]) < 0.6
        members = np.nonzero(inside)[0].tolist()
        for u in members:
            rest = [v for v in members if v != u]
            want = not rest or nx.is_connected(g.subgraph(rest))
            assert kernels.holds_without(*_arrays(adj), inside, u) == want
            checked += 1
            broken += not want
    assert checked > 500 and broken > 50


def test_growth_and_searches_keep_connected_sets_in_their_windows() -> None:
    rng = np.random.default_rng(3)
    grown_sets = 0
    for _ in range(150):
        n = int(rng.integers(3, 40))
        adj = _graph(rng, n)
        g = nx.from_scipy_sparse_array(adj)
        indptr, indices = _arrays(adj)
        w = rng.normal(0.0, 10.0, n)
        d = rng.choice([1.0, 2.0, 5.0], n)
        nlo = int(rng.integers(1, 4))
        window = (nlo, nlo + int(rng.integers(0, 10)), 0.0, float(rng.choice([np.inf, 20.0])))
        seed = int(np.argmax(w))
        cost = np.maximum(0.0, -w) + 1e-9
        grown = kernels.grow(indptr, indices, w, d, cost, seed, window)
        members = np.nonzero(grown)[0]
        assert nx.is_connected(g.subgraph(members.tolist()))  # in its windows or not
        count, volume = len(members), float(d[grown].sum())
        if not (window[0] <= count <= window[1] and window[2] <= volume <= window[3]):
            continue
        grown_sets += 1
        for out in (
            kernels.improve(indptr, indices, w, d, grown, window),
            kernels.descend(indptr, indices, w, d, grown, window, 1e-9),
        ):
            chosen = np.nonzero(out)[0]
            _assert_fits(g, chosen.tolist(), d, window)
            assert float(w[out].sum()) >= float(w[grown].sum()) - 1e-9
    assert grown_sets > 80


def _ahead_by_hand(adj: sp.csr_matrix, w, d, seed: int, window, ahead: float) -> set[int]:
    """``grow_ahead`` written out: the neighbour of largest w_v + ahead * (best w
    beyond it, 0 at least) joins (the lowest index on ties); the best prefix within
    the windows is kept."""
    nlo, nhi, vlo, vhi = window
    nbrs = [set(adj.indices[adj.indptr[v] : adj.indptr[v + 1]].tolist()) for v in range(len(w))]
    order, near = [seed], set(nbrs[seed])
    best, best_len = -np.inf, 0
    if nlo <= 1 and vlo <= d[seed] <= vhi:
        best, best_len = w[seed], 1
    while len(order) < nhi:
        volume = d[order].sum()
        scores = {
            v: w[v]
            + ahead * max([0.0] + [w[u] for u in nbrs[v] if u not in order and u not in near])
            for v in sorted(near - set(order))
            if volume + d[v] <= vhi
        }
        if not scores:
            break
        pick = max(scores, key=lambda v: (scores[v], -v))
        order.append(pick)
        near |= nbrs[pick]
        value, count = w[order].sum(), len(order)
        if count >= nlo and vlo <= d[order].sum() <= vhi and value > best:
            best, best_len = value, count
    return set(order[:best_len])


def test_the_growth_that_looks_ahead_matches_its_rule_written_out() -> None:
    """``grow_ahead`` against a Python version of its rule on random graphs (the
    same set), and ``best_ahead`` is the best of them over all seeds: connected,
    in both windows, or empty when no growth fits them."""
    rng = np.random.default_rng(4)
    fitted = 0
    for _ in range(150):
        n = int(rng.integers(2, 30))
        adj, g, indptr, indices, w, d = _case(rng, n)
        nlo = int(rng.integers(1, 5))
        window = (nlo, nlo + int(rng.integers(0, 8)), float(rng.choice([0.0, 4.0])), 25.0)
        best, best_value = set(), -np.inf
        for seed in range(n):
            if d[seed] > window[3]:
                continue
            grown = kernels.grow_ahead(indptr, indices, w, d, seed, window, 1.0)
            want = _ahead_by_hand(adj, w, d, seed, window, 1.0)
            assert set(np.nonzero(grown)[0].tolist()) == want
            if want and w[list(want)].sum() > best_value:
                best, best_value = want, w[list(want)].sum()
        found = kernels.best_ahead(indptr, indices, w, d, window, 1.0, np.arange(n))
        chosen = np.nonzero(found)[0].tolist()
        if not best:
            assert not chosen
            continue
        fitted += 1
        assert float(w[chosen].sum()) == pytest.approx(best_value)
        _assert_fits(g, chosen, d, window)
    assert fitted > 80


def _best_connected(g: nx.Graph, w, d, window) -> float:
    """The largest sum w over connected sets in both windows, by enumeration."""
    nlo, nhi, vlo, vhi = window
    best = -np.inf
    for k in range(nlo, nhi + 1):
        for members in itertools.combinations(range(len(w)), k):
            chosen = list(members)
            if vlo <= d[chosen].sum() <= vhi and nx.is_connected(g.subgraph(chosen)):
                best = max(best, float(w[chosen].sum()))
    return best


def test_the_beam_search_is_exact_when_wide_and_valid_when_narrow() -> None:
    """``grow_beam`` as wide as the graph has connected sets enumerates them all
    (each is a smaller one and a neighbour), so it finds the best connected set in
    both windows, or none when none exists; a beam two sets wide still returns a
    connected set in the windows, worth at most that much."""
    rng = np.random.default_rng(5)
    exact = 0
    for _ in range(200):
        n = int(rng.integers(1, 10))
        adj, g, indptr, indices, w, d = _case(rng, n)
        nlo = int(rng.integers(1, n + 1))
        window = (nlo, int(rng.integers(nlo, n + 1)), float(rng.choice([0.0, 4.0])), 12.0)
        keys = rng.integers(1, 2**62, size=n, dtype=np.int64)
        seeds = np.argsort(-w, kind="stable").astype(np.int64)
        want = _best_connected(g, w, d, window)
        for width, ahead in ((1000, 0.3), (1000, 0.0), (2, 0.3)):
            found = kernels.grow_beam(indptr, indices, w, d, window, width, ahead, seeds, keys)
            chosen = np.nonzero(found)[0].tolist()
            if width > 2:
                exact += bool(chosen)
                assert (float(w[chosen].sum()) if chosen else -np.inf) == pytest.approx(want)
            if chosen:
                _assert_fits(g, chosen, d, window)
                assert float(w[chosen].sum()) <= want + 1e-9
    assert exact > 200


def test_warm_compiles_every_kernel_the_heuristics_call() -> None:
    """(The kernels only other kernels call are compiled into those.)"""
    kernels.warm()
    for kernel in (
        kernels.grow,
        kernels.best_ahead,
        kernels.grow_beam,
        kernels.improve,
        kernels.descend,
        kernels.cut_vertices,
        kernels.touching,
    ):
        assert kernel.signatures, kernel
