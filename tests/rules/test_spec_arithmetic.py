"""Tier cost, lead time and rationality thresholds against direct computation."""

from __future__ import annotations

import math
import random

import pytest

from consortia.data.instance import Category, Offer
from consortia.formulations.candidates import rational_threshold
from consortia.rules.spec import lead_time, tier_cost


def offer(kind: str, tiers) -> Offer:
    return Offer("S", "c", math.inf, 1, 0.0, kind, frozenset(), tuple(tiers))


def test_all_units_cost() -> None:
    o = offer("all_units", [(10, 5.0), (50, 4.0)])
    assert tier_cost(o, 9.99) is None
    assert tier_cost(o, 10) == 50
    assert tier_cost(o, 50) == 200  # the threshold itself earns the tier
    assert tier_cost(o, 60) == 240


def test_incremental_cost() -> None:
    o = offer("incremental", [(0, 10.0), (60, 8.0)])
    assert tier_cost(o, 90) == pytest.approx(840)
    assert tier_cost(o, 60) == pytest.approx(600)


@pytest.mark.parametrize("extra,expected", [(0, 1), (1, 2), (2, 2), (3, 3)])
def test_lead_time(extra: int, expected: int) -> None:
    cat = Category("c", 1, 0.5, 1, None, 0.0)
    assert lead_time(cat, extra + 1) == expected


def test_lead_time_snaps_near_integers() -> None:
    cat = Category("c", 0, 0.1, 1, None, 0.0)
    assert lead_time(cat, 11) == 1  # 0.1 * 10 = 1.0000000000000002 counts as 1


def test_rational_threshold_is_the_smallest_rational_volume() -> None:
    rng = random.Random(0)
    for _ in range(300):
        kind = rng.choice(["all_units", "incremental"])
        q, price, tiers = (0 if kind == "incremental" else rng.choice([0, 5])), 10.0, []
        for _ in range(rng.randint(1, 4)):
            tiers.append((q, price))
            q += rng.choice([5, 10, 20])
            price -= rng.choice([0.5, 1, 2])
        o = offer(kind, tiers)
        limit = rng.choice([7.0, 8.5, 9.0, 9.7, 10.0])
        t = rational_threshold(o, limit)

        def rational(v: float, o: Offer = o, limit: float = limit) -> bool:
            cost = tier_cost(o, v)
            return cost is not None and cost / v <= limit + 1e-9

        if t is None:
            assert not any(rational(v / 4) for v in range(1, 4 * 2000))
        else:
            assert rational(max(t, 1e-6))
            assert not any(rational(v / 4) for v in range(1, int(4 * t)) if v / 4 < t - 1e-6)
