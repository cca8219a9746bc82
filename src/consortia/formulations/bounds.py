"""Sums that a reported bound may rest on, rounded so that they are never too low.

A Lagrangian bound sum_r y_r b_r + ... is valid for any duals y >= 0, but only
if it is computed without rounding it below its true value: ``sum_up`` adds
floating-point numbers exactly (as fractions) and rounds the result up to the
next float. This costs microseconds per term and removes floating point from
the list of ways a bound can be wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction


def sum_up(values: Iterable[float]) -> float:
    """The exact sum of finite floats, rounded up (towards +infinity)."""
    total = Fraction(0)
    for v in values:
        if not math.isfinite(v):
            return math.inf if v > 0 or math.isnan(v) else -math.inf
        total += Fraction(v)
    nearest = float(total)
    return nearest if Fraction(nearest) >= total else math.nextafter(nearest, math.inf)


def product_up(a: float, b: float) -> float:
    """a * b rounded up."""
    exact = Fraction(a) * Fraction(b)
    nearest = float(exact)
    return nearest if Fraction(nearest) >= exact else math.nextafter(nearest, math.inf)
