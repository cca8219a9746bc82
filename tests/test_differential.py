"""The MILP against an independent brute-force enumerator on random tiny instances."""

from __future__ import annotations

import pytest
from tiny_random import random_tiny_tables

from consortia.bruteforce import enumerate_optimum
from consortia.plan import assess_plan
from consortia.reader import instance_from_tables
from consortia.solve import solve

SEEDS = range(400)


def _rules_exercised(tables) -> set[str]:
    seen = set()
    if "collaboration" in tables:
        seen.add("graph")
    if "surcharges" in tables:
        seen.add("surcharges")
    offers = tables["offers"]
    seen |= set(offers["discount"])
    if (offers["capacity"] != "").any():
        seen.add("capacity")
    if (offers["regions"] != "").any():
        seen.add("regions")
    keys = set(tables["settings"]["key"])
    seen |= keys & {"max_parallel_formations", "individually_rational", "discount_rate"}
    if (tables["categories"]["member_lead"] != "0").any():
        seen.add("member_lead")
    if (tables["categories"]["min_members"] != "1").any():
        seen.add("min_members")
    return seen


def test_random_instances_cover_every_rule() -> None:
    covered = set()
    for seed in SEEDS:
        covered |= _rules_exercised(random_tiny_tables(seed))
    assert covered >= {
        "graph", "surcharges", "all_units", "incremental", "capacity", "regions",
        "max_parallel_formations", "individually_rational", "discount_rate",
        "member_lead", "min_members",
    }


@pytest.mark.parametrize("chunk", range(8))
def test_milp_matches_brute_force(chunk: int) -> None:
    mismatches = []
    for seed in SEEDS[chunk::8]:
        inst = instance_from_tables(random_tiny_tables(seed))
        expected, _ = enumerate_optimum(inst)
        result = solve(inst)
        plan = assess_plan(inst, [o.lot for o in result.outcomes])
        if (
            not plan.feasible
            or result.status != "optimal"
            or abs(result.objective - expected) > 1e-6 * max(1.0, abs(expected))
            or abs(plan.objective - result.objective) > 1e-6 * max(1.0, abs(expected))
            or result.best_bound < expected - 1e-6 * max(1.0, abs(expected))
        ):
            mismatches.append((seed, expected, result.objective, result.status))
    assert not mismatches
