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

import numpy as np


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


def dual_bound(
    side: np.ndarray, duals: np.ndarray, reduced: np.ndarray, upper: np.ndarray
) -> float:
    """Weak duality for ``max c·v`` over rows with sides `side` and ``0 <= v <= upper``:
    for row duals y of the right signs (``side`` the side each y_i multiplies: the
    upper one where y_i > 0, the lower one where y_i < 0) and ``reduced = c - Aᵀy``,

        max <= Σ_i side_i y_i + Σ_j upper_j max(0, reduced_j),

    whatever the duals' accuracy. Summed with ``math.fsum`` and raised by half an ulp
    per term for the rounding of each product, then rounded up: never below the
    value of these float arrays (sides and bounds finite where they count)."""
    terms = np.concatenate([side * duals, upper * np.maximum(reduced, 0.0)])
    terms = terms[terms != 0.0]
    if not len(terms):
        return 0.0
    total = math.fsum(terms.tolist()) + math.fsum(np.abs(terms).tolist()) * 2.0**-52
    return math.nextafter(total, math.inf)
