"""Branch-and-cut for connected member sets (``lots.branch_cut``) against enumeration.

On random small graphs, values and windows (small enough to list all 2^n member
sets): the bound is never below the best connected set, the set found is connected,
in both windows and exact when the search finishes, a threshold above the best is
proved unreachable and one below it reached, and every cut it reports holds for
every connected set whatever the values (the piece's LP screen keeps them for later
subproblems, where other members may be eligible).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from consortia.rules.connectivity import is_connected
from consortia.solvers.lots.branch_cut import branch_and_cut


def _instance(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 11))
    upper = np.triu(rng.random((n, n)) < rng.choice([0.2, 0.35, 0.5]), k=1)
    a = upper | upper.T
    neighbours = {i: set(np.nonzero(a[i])[0].tolist()) for i in range(n)}
    w = np.round(rng.normal(2.0, 10.0, size=n), 2)
    w[rng.random(n) < 0.2] = -np.inf  # not eligible for this subproblem
    d = rng.choice([1.0, 2.0, 5.0], size=n)
    nlo = int(rng.integers(1, 4))
    window = (
        nlo,
        int(nlo + rng.integers(0, n)),
        float(rng.choice([0.0, 3.0])),
        float(rng.choice([np.inf, 9.0, 20.0])),
    )
    return sp.csr_matrix(a), neighbours, w, d, window


def _connected_sets(n: int, neighbours):
    for k in range(1, n + 1):
        for members in itertools.combinations(range(n), k):
            if is_connected(members, neighbours):
                yield list(members)


def _best(w, d, window, neighbours) -> float:
    nlo, nhi, vlo, vhi = window
    best = -math.inf
    for members in _connected_sets(len(w), neighbours):
        if nlo <= len(members) <= nhi and vlo <= d[members].sum() <= vhi:
            best = max(best, float(w[members].sum()))
    return best


@pytest.mark.parametrize("chunk", range(2))
def test_branch_and_cut_against_enumeration(chunk: int) -> None:
    solved = cut_sets = 0
    for seed in range(chunk, 120, 2):
        graph, neighbours, w, d, window = _instance(seed)
        truth = _best(w, d, window, neighbours)
        tol = 1e-6 * (1.0 + float(np.abs(w[np.isfinite(w)]).sum()))
        out = branch_and_cut(graph, d, w, window, time_limit=30.0)
        assert out.bound >= truth - tol, seed
        if out.found is not None:
            solved += 1
            members = out.found.tolist()
            nlo, nhi, vlo, vhi = window
            assert is_connected(members, neighbours), seed
            assert nlo <= len(members) <= nhi and np.isfinite(w[members]).all()
            assert vlo - 1e-6 <= d[members].sum() <= vhi + 1e-6
            assert float(w[members].sum()) == pytest.approx(truth, abs=tol)
        else:
            assert truth == -math.inf, seed
        if math.isfinite(truth):
            above = branch_and_cut(graph, d, w, window, 30.0, threshold=truth + 1.0)
            assert above.found is None and truth + 1.0 <= above.bound < math.inf, seed
            below = branch_and_cut(graph, d, w, window, 30.0, threshold=truth - 1.0)
            assert below.found is not None and is_connected(below.found.tolist(), neighbours)
            assert float(w[below.found].sum()) >= truth - 1.0 - tol
        for outcome in (out,) if truth == -math.inf else (out, above, below):
            for i, j, border in outcome.cuts:
                cut_sets += 1
                for members in _connected_sets(len(w), neighbours):
                    x = np.zeros(len(w))
                    x[members] = 1.0
                    assert x[i] + x[j] - 1.0 <= x[border].sum(), (seed, i, j, border, members)
    assert solved > 40 and cut_sets > 20


def test_a_start_and_known_cuts_prune_but_never_change_the_answer() -> None:
    """Started from any connected set in the windows (the worst one, so the search
    must still move), or from the best disconnected set of two (worth more than the
    best connected set in some cases: SCIP must refuse it), and given the cuts of
    searches on the same graph at other values, the search ends at the enumerated
    best, connected."""
    started = tempting = known_cuts = 0
    for seed in range(60):
        graph, neighbours, w, d, window = _instance(seed)
        nlo, nhi, vlo, vhi = window
        fits = [
            m
            for m in _connected_sets(len(w), neighbours)
            if nlo <= len(m) <= nhi and vlo <= d[m].sum() <= vhi and np.isfinite(w[m]).all()
        ]
        if not fits:
            continue
        truth = max(float(w[m].sum()) for m in fits)
        worst = min(fits, key=lambda m: float(w[m].sum()))
        tol = 1e-6 * (1.0 + float(np.abs(w[np.isfinite(w)]).sum()))
        eligible = np.nonzero(np.isfinite(w))[0]
        loose = sorted(
            (
                [int(i), int(j)]
                for i, j in itertools.combinations(eligible.tolist(), 2)
                if j not in neighbours[i]
            ),
            key=lambda m: -float(w[m].sum()),
        )
        rng = np.random.default_rng(seed)
        known = []
        for _ in range(3):
            other = np.where(np.isfinite(w), rng.normal(2.0, 10.0, size=len(w)), -np.inf)
            known += branch_and_cut(graph, d, other, (2, len(w), 0.0, np.inf), 30.0).cuts
        known_cuts += len(known)
        for start in [np.array(worst), *(np.array(loose[:1]) if loose else [])]:
            out = branch_and_cut(graph, d, w, window, 30.0, start=start, known=known)
            assert out.found is not None and is_connected(out.found.tolist(), neighbours), seed
            assert float(w[out.found].sum()) == pytest.approx(truth, abs=tol), seed
            assert out.bound >= truth - tol, seed
            started += 1
            tempting += bool(
                not is_connected(start.tolist(), neighbours)
                and float(w[start].sum()) > truth + tol
                and nlo <= 2 <= nhi
                and vlo <= d[start].sum() <= vhi
            )
    assert started > 30 and tempting > 3 and known_cuts > 20
