"""rules.coverage.offer_barriers: each reason why no lot on an offer can hold an
organization is a proof — on random tiny instances, every lot holding it on that
offer, at every start, breaks a rule on its own or the offer's capacity."""

from __future__ import annotations

import itertools

import pytest

from conftest import INSTANCES
from consortia import read_instance
from consortia.data.reader import instance_from_tables
from consortia.rules.coverage import offer_barriers
from consortia.rules.plan import Lot, price_lot
from tiny_random import random_v2_tables, random_v3_tables


def test_regions_instance() -> None:
    """instances/tiny/regions: S1 serves only the north, so not B (south)."""
    inst = read_instance(INSTANCES / "tiny" / "regions")
    assert offer_barriers(inst, "fleet") == {
        ("B", "S1"): "S1 does not serve region 'south' (rule 4)"
    }


@pytest.mark.parametrize("seed", range(40))
def test_every_barrier_is_a_proof(seed: int) -> None:
    tables = random_v3_tables(seed) if seed % 2 else random_v2_tables(seed)
    inst = instance_from_tables(tables)
    horizon = inst.settings.horizon
    found = 0
    for c in inst.category:
        orgs = [o for o in inst.org_ids if (o, c) in inst.demand_of]
        for (o, s), why in offer_barriers(inst, c).items():
            found += 1
            offer = inst.offer[(s, c)]
            others = [x for x in orgs if x != o]
            for size in range(len(others) + 1):
                for rest in itertools.combinations(others, size):
                    for start in range(1, horizon + 1):
                        out, problems = price_lot(inst, Lot(c, s, (o, *rest), start))
                        assert out is not None
                        fits = out.volume <= offer.capacity * (1 + 1e-9)
                        assert problems or not fits, f"{o} on {s} in {c}: {why}"
    if seed == 0:
        assert found  # the random instances do have such pairs
