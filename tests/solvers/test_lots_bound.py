"""The bound LP of the lot generation (``lots.bound``) against enumerated lots.

Every single lot in its subproblem's windows is a plan, so the slack the bound LP
credits at any duals (the per-organization and size rows included) must be at least
the reduced cost of every such lot; the lots are listed member set by member set.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from consortia.data.reader import instance_from_tables
from consortia.solvers.lots.bound import _Rows, _solve_bound, pricing_slack
from consortia.solvers.lots.data import build_category_data
from consortia.solvers.lots.pricing import CategoryPricing
from consortia.solvers.lots.subproblems import build_subproblems
from tiny_random import random_coupled_tables, random_tiny_tables


def _lots(w: np.ndarray, d: np.ndarray, window: tuple[int, int, float, float], cost: float):
    """Reduced costs of every member set in the windows (members with finite w)."""
    nlo, nhi, vlo, vhi = window
    allowed = np.nonzero(np.isfinite(w))[0].tolist()
    for k in range(max(1, nlo), min(nhi, len(allowed)) + 1):
        for members in itertools.combinations(allowed, k):
            chosen = list(members)
            if vlo <= float(d[chosen].sum()) <= vhi:
                yield float(w[chosen].sum()) - cost


def test_the_bound_lp_credits_every_single_lot() -> None:
    rng = np.random.default_rng(11)
    checked = 0
    for seed in range(60):
        make = random_tiny_tables if seed % 2 else random_coupled_tables
        inst = instance_from_tables(make(seed))
        horizon = inst.settings.horizon
        nu = np.concatenate(([0.0], rng.choice([0.0, 0.0, 1.0, 5.0], size=horizon)))
        pricings, ubs, values, duals = [], [], [], []
        for data in build_category_data(inst):
            pi = rng.choice([0.0, 0.0, 3.0, 20.0], size=data.n)
            mu = rng.choice([0.0, 0.0, 0.05, 0.3], size=len(data.offers))
            pr = CategoryPricing(data, build_subproblems(inst, data))
            res = pr.price(pi, mu, np.cumsum(nu), iterations=40)
            pricings.append(pr)
            ubs.append(res.ub)
            duals.append((pi, mu))
            values.append(lambda rows, pr=pr, pi=pi, mu=mu: pr.weights(rows, pi, mu, None))
        slack = pricing_slack(inst, pricings, ubs, values)
        aggregate = pricing_slack(inst, pricings, ubs)
        for pr, (pi, mu) in zip(pricings, duals, strict=True):
            s = pr.subs
            for r in range(len(s)):
                w = pr.weights(np.array([r]), pi, mu, None)[0]
                window = (int(s.nlo[r]), int(s.nhi[r]), float(s.vlo[r]), float(s.vhi[r]))
                for rc in _lots(w, pr.data.d, window, float(pr.last_C[r])):
                    if rc <= 0:
                        continue
                    tol = 1e-6 * max(1.0, rc)
                    assert slack >= rc - tol, (seed, r, slack, rc)
                    assert aggregate >= rc - tol, (seed, r, aggregate, rc)
                    checked += 1
    assert checked > 200


def _random_bound_lp(rng: np.random.Generator, n: int, m: int):
    """A random LP max c.v, A v <= rhs, 0 <= v <= u, and pairs (a, b) for v_a <= v_b."""
    rows = _Rows()
    for _ in range(m):
        cols = rng.choice(n, size=int(rng.integers(1, 5)), replace=False)
        rows.add(cols, rng.uniform(0.2, 2.0, size=len(cols)), float(rng.uniform(0.5, 3.0)))
    pairs = np.array([rng.choice(n, size=2, replace=False) for _ in range(n)], dtype=np.int64)
    return rng.uniform(0.0, 5.0, size=n), rng.uniform(0.5, 2.0, size=n), rows, pairs


def test_lazy_rows_give_the_value_of_the_lp_that_holds_them_all() -> None:
    rng = np.random.default_rng(5)
    binding = 0
    for _ in range(40):
        cost, upper, rows, pairs = _random_bound_lp(rng, 30, 12)
        plain, _ = _solve_bound(cost, upper, rows, None)
        rows.lazy.append(pairs)
        lazy, point = _solve_bound(cost, upper, rows, None)
        explicit = _Rows()
        for r, c, v in zip(rows.rows, rows.cols, rows.vals, strict=True):
            explicit.add(c, v, rows.rhs[int(r[0])])
        for a, b in pairs.tolist():
            explicit.add(np.array([a, b]), np.array([1.0, -1.0]), 0.0)
        full, _ = _solve_bound(cost, upper, explicit, None)
        assert lazy == pytest.approx(full, rel=1e-7, abs=1e-7)
        assert point is not None
        assert (point[pairs[:, 0]] <= point[pairs[:, 1]] + 1e-6).all()
        binding += lazy < plain - 1e-6
    assert binding >= 20  # the pairs matter in most of these LPs
