"""Bound sums are exact and rounded up: never below the true value."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from consortia.formulations.bounds import product_up, sum_up


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
