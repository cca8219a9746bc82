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


def test_tier_costs_of_many_volumes_equal_tier_cost() -> None:
    import random

    import numpy as np

    from consortia.data.instance import Offer
    from consortia.rules.spec import tier_cost, tier_costs

    rng = random.Random(3)
    for _ in range(300):
        k = rng.randint(1, 5)
        discount = rng.choice(["all_units", "incremental"])
        qs = sorted(rng.sample(range(1, 200), k))
        if discount == "incremental":
            qs[0] = 0
        prices = sorted((round(rng.uniform(1, 20), 2) for _ in range(k)), reverse=True)
        offer = Offer(
            "S",
            "c",
            float("inf"),
            1,
            0.0,
            discount,
            frozenset(),
            tuple(zip(map(float, qs), prices, strict=True)),
        )
        volumes = np.array([rng.uniform(0, 250) for _ in range(20)] + [float(q) for q in qs])
        cost, below = tier_costs(offer, volumes)
        for v, c, b in zip(volumes, cost, below, strict=True):
            exact = tier_cost(offer, float(v))
            assert b == (exact is None)
            expected = offer.tiers[0][1] * v if exact is None else exact
            assert abs(c - expected) <= 1e-9 * max(1.0, expected)
