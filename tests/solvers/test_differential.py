"""The MILP against an independent brute-force enumerator on random tiny instances."""

from __future__ import annotations

import pytest

from consortia.data.reader import instance_from_tables
from consortia.rules.plan import assess_plan
from consortia.solvers.bruteforce import enumerate_optimum
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import merge_friendly, random_coupled_tables, random_tiny_tables

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
        "graph",
        "surcharges",
        "all_units",
        "incremental",
        "capacity",
        "regions",
        "max_parallel_formations",
        "individually_rational",
        "discount_rate",
        "member_lead",
        "min_members",
    }


@pytest.mark.parametrize(
    "formulation", ["auto", "compact", "compact-delta", "compact-convex", "decompose"]
)
@pytest.mark.parametrize("chunk", range(4))
def test_exact_formulations_match_brute_force(formulation: str, chunk: int) -> None:
    mismatches = []
    for seed in SEEDS[chunk::4]:
        inst = instance_from_tables(random_tiny_tables(seed))
        expected, _ = enumerate_optimum(inst)
        result = solve(inst, SolveOptions(formulation=formulation))
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


@pytest.mark.parametrize("chunk", range(2))
def test_column_generation_is_honest(chunk: int) -> None:
    """Price-and-branch may stop short of the optimum, but never claims more than it
    proves: plan <= optimum <= bound, and 'optimal' only when it is."""
    problems = []
    for seed in SEEDS[chunk::2]:
        inst = instance_from_tables(random_tiny_tables(seed))
        expected, _ = enumerate_optimum(inst)
        result = solve(inst, SolveOptions(formulation="columns"))
        tol = 1e-6 * max(1.0, abs(expected))
        plan = assess_plan(inst, [o.lot for o in result.outcomes])
        if not plan.feasible or result.objective > expected + tol:
            problems.append((seed, "plan", expected, result.objective))
        if result.best_bound < expected - tol:
            problems.append((seed, "bound", expected, result.best_bound))
        if result.status == "optimal" and abs(result.objective - expected) > tol:
            problems.append((seed, "claim", expected, result.objective))
    assert not problems


@pytest.mark.parametrize("builder", ["arrays", "pyomo"])
@pytest.mark.parametrize("chunk", range(2))
def test_offer_model_matches_brute_force_where_it_applies(chunk: int, builder: str) -> None:
    from consortia.formulations.candidates import build_candidates
    from consortia.formulations.offers.model import offer_model_applies

    mismatches = []
    for seed in SEEDS[chunk::2]:
        inst = instance_from_tables(merge_friendly(random_tiny_tables(seed)))
        assert offer_model_applies(build_candidates(inst))
        expected, _ = enumerate_optimum(inst)
        result = solve(inst, SolveOptions(formulation="offers", builder=builder))
        if result.status != "optimal" or abs(result.objective - expected) > 1e-6 * max(
            1.0, abs(expected)
        ):
            mismatches.append((seed, expected, result.objective, result.status))
    assert not mismatches


@pytest.mark.parametrize("chunk", range(2))
def test_decomposition_prices_the_shared_formation_limit(chunk: int) -> None:
    """Categories competing for one formation at a time: the decomposition alone
    (no compact finish) is honest on every instance and its Lagrangian bound
    closes the gap on nearly all; with the finish it is exact."""
    from consortia.solvers.base import SolveContext
    from consortia.solvers.decompose import solve_decomposed

    problems, unproven, priced = [], 0, 0
    seeds = SEEDS[chunk:200:2]
    for seed in seeds:
        inst = instance_from_tables(random_coupled_tables(seed))
        expected, _ = enumerate_optimum(inst)
        tol = 1e-6 * max(1.0, abs(expected))
        alone = solve_decomposed(SolveContext.of(inst))
        plan = assess_plan(inst, [o.lot for o in alone.outcomes])
        priced += alone.iterations > 1
        if not plan.feasible or abs(plan.objective - alone.objective) > tol:
            problems.append((seed, "plan", expected, alone.objective))
        if alone.objective > expected + tol or alone.best_bound < expected - tol:
            problems.append((seed, "bound", expected, alone.objective, alone.best_bound))
        if alone.status == "optimal" and abs(alone.objective - expected) > tol:
            problems.append((seed, "claim", expected, alone.objective))
        unproven += alone.status != "optimal"
        full = solve(inst, SolveOptions(formulation="decompose"))
        if full.status != "optimal" or abs(full.objective - expected) > tol:
            problems.append((seed, "finish", expected, full.objective, full.status))
    assert not problems
    assert priced >= 20  # the limit binds: prices were needed
    assert unproven <= len(seeds) // 10
