"""Bound sums are exact and rounded up: never below the true value."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
from scipy.optimize import linprog

from consortia.formulations.bounds import dual_bound, product_up, sum_up


def test_sum_up_is_never_below_the_exact_sum() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        values = [
            rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-8, 8) for _ in range(rng.randint(1, 40))
        ]
        exact = sum(Fraction(v) for v in values)
        got = sum_up(values)
        assert Fraction(got) >= exact
        assert got <= math.nextafter(float(exact), math.inf) or Fraction(got) == exact


def test_sum_up_catches_what_plain_addition_loses() -> None:
    values = [1e16, 1.0, -1e16]
    assert sum(values) == 0.0  # plain addition rounds the 1 away
    assert sum_up(values) >= 1.0


def test_product_up_and_infinities() -> None:
    assert Fraction(product_up(0.1, 3.0)) >= Fraction(0.1) * 3
    assert sum_up([1.0, math.inf]) == math.inf
    assert sum_up([]) == 0.0


def test_dual_bound_by_hand() -> None:
    """max x1 + x2 s.t. x1 + x2 <= 1, 0 <= x <= 1 (optimum 1): the dual 1 proves 1,
    the dual 0 only the column bounds (2), the dual 0.5 half of each (1.5)."""
    side, upper, cost = np.array([1.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])
    for y, want in ((1.0, 1.0), (0.0, 2.0), (0.5, 1.5)):
        duals = np.array([y])
        got = dual_bound(side, duals, cost - y * np.ones(2), upper)
        assert want <= got <= math.nextafter(want, math.inf) * (1 + 1e-15)


def test_dual_bound_is_never_below_the_lp_optimum_nor_the_exact_sum() -> None:
    """Random LPs max c.v, A v <= b, 0 <= v <= u solved by scipy: any duals y >= 0
    give at least the optimum, and the float sum is never rounded below the exact
    sum of the products' exact values."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        m, n = int(rng.integers(1, 6)), int(rng.integers(1, 8))
        a = rng.uniform(0, 5, size=(m, n))
        b = rng.uniform(1, 10, size=m)
        c = rng.uniform(-2, 9, size=n) * 10.0 ** int(rng.integers(-3, 6))
        u = rng.uniform(0.5, 3, size=n)
        found = linprog(-c, A_ub=a, b_ub=b, bounds=list(zip(np.zeros(n), u, strict=True)))
        y = np.maximum(rng.normal(size=m) * abs(c).max(), 0.0)
        got = dual_bound(b, y, c - a.T @ y, u)
        assert got >= -found.fun - 1e-9 * max(1.0, abs(found.fun))
        reduced = c - a.T @ y
        exact = sum(Fraction(s) * Fraction(t) for s, t in zip(b, y, strict=True)) + sum(
            Fraction(x) * Fraction(max(r, 0.0)) for x, r in zip(u, reduced, strict=True)
        )
        assert Fraction(got) >= exact
