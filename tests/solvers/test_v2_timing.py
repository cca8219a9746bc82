"""Readiness per demand pair and organizations' own formation limits (spec sections
9 and 10) in every formulation that takes them, against the brute-force enumerator
on random tiny instances, and one hand-derived instance for the compact family."""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import highspy
import pandas as pd
import pytest

from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.formulations.candidates import build_candidates
from consortia.formulations.columns.greedy_pricing import CategoryPricer, plan_bound, reduced_cost
from consortia.formulations.columns.pricing import PricingProblem, category_sets
from consortia.formulations.compact.build import build_model
from consortia.formulations.compact.index import build_index
from consortia.formulations.export import export_model
from consortia.rules.plan import assess_plan
from consortia.solvers.base import SolveContext
from consortia.solvers.bruteforce import enumerate_optimum, profitable_lots
from consortia.solvers.decompose import solve_decomposed
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import names, solve, strategy
from tiny_random import merge_friendly, random_v2_tables

# Exact formulations must reach the optimum and prove it; the others (price and
# branch, the by-hand plan) must be honest: a feasible plan at most the optimum, a
# bound at least the optimum, "optimal" only when it is.
EXACT = {"auto", "compact", "compact-delta", "compact-convex", "decompose", "offers"}
# Seeds per formulation: 500 for the compact variants together; fewer for the
# slower strategies (measured: the whole module takes about 35 s of CPU).
SEEDS_OF = {
    "compact": range(300),
    "compact-delta": range(0, 300, 3),
    "compact-convex": range(1, 300, 3),
    "auto": range(0, 300, 4),
    "columns": range(1, 300, 4),
    "decompose": range(0, 300, 6),
    "lots": range(2, 300, 3),
    "regional": range(0, 300, 3),
    "national": range(1, 300, 3),
    "offers": range(300),
}


@cache
def _case(seed: int) -> tuple[Instance, float]:
    inst = instance_from_tables(random_v2_tables(seed))
    return inst, enumerate_optimum(inst)[0]


def test_every_formulation_is_checked() -> None:
    assert set(SEEDS_OF) == set(names())


def test_random_instances_exercise_both_rules() -> None:
    """The seeds hold binding own limits and members of one category ready at
    different periods, and the limits change the optimum on some of them."""
    binding = staggered = changed = 0
    for seed in range(100):
        inst, expected = _case(seed)
        binding += bool(inst.binding_org_capacity)
        ready = {c: set() for c in inst.category}
        for (_, c), r in inst.pair_ready.items():
            ready[c].add(r)
        staggered += any(len(r) > 1 for r in ready.values())
        if inst.binding_org_capacity:
            tables = random_v2_tables(seed)
            tables["organizations"]["max_parallel_formations"] = ""
            changed += enumerate_optimum(instance_from_tables(tables))[0] > expected + 1e-6
    assert binding >= 60 and staggered >= 60 and changed >= 3


@pytest.mark.parametrize("formulation", sorted(SEEDS_OF))
def test_formulations_that_take_the_rules_match_brute_force(formulation: str) -> None:
    problems, taken = [], 0
    for seed in SEEDS_OF[formulation]:
        inst, expected = _case(seed)
        if strategy(formulation).supports(SolveContext.of(inst)) is not None:
            continue
        taken += 1
        result = solve(inst, SolveOptions(formulation=formulation))
        tol = 1e-6 * max(1.0, abs(expected))
        plan = assess_plan(inst, [o.lot for o in result.outcomes])
        if not plan.feasible or abs(plan.objective - result.objective) > tol:
            problems.append((seed, "plan", plan.violations, result.objective))
        if result.best_bound < expected - tol:
            problems.append((seed, "bound", expected, result.best_bound))
        if result.objective > expected + tol:
            problems.append((seed, "above optimum", expected, result.objective))
        if result.status == "optimal" and abs(result.objective - expected) > tol:
            problems.append((seed, "claim", expected, result.objective))
        if formulation in EXACT and (
            result.status != "optimal" or abs(result.objective - expected) > tol
        ):
            problems.append((seed, "not exact", expected, result.objective, result.status))
    assert not problems
    if formulation != "offers":  # offers refuses nearly all of them (see below)
        assert taken == len(SEEDS_OF[formulation])


def test_refusals_name_section_10() -> None:
    """Instances the offer model would take but for a binding own limit: offers
    refuses them in a sentence naming section 10, and takes them without it."""
    refused = 0
    for seed in range(60):
        tables = merge_friendly(random_v2_tables(seed))
        tables["demand"]["ready_period"] = "1"
        inst = instance_from_tables(tables)
        if not inst.binding_org_capacity:
            continue
        refused += 1
        reason = strategy("offers").supports(SolveContext.of(inst))
        assert reason is not None and "section 10" in reason
        for name in names():
            said = strategy(name).supports(SolveContext.of(inst))
            assert said is None or "section 10" in said, (name, said)
        tables["organizations"]["max_parallel_formations"] = ""
        assert strategy("offers").supports(SolveContext.of(instance_from_tables(tables))) is None
    assert refused >= 20


def test_decomposition_prices_own_limits() -> None:
    """Without a central limit only the own limits couple the categories: the
    decomposition alone (no compact finish) is honest, prices them on several
    instances, and proves nearly every optimum through its Lagrangian bound."""
    problems, priced, unproven, coupled = [], 0, 0, 0
    for seed in range(100):
        inst, expected = _case(seed)
        if inst.settings.max_parallel_formations is not None or not inst.binding_org_capacity:
            continue
        coupled += 1
        alone = solve_decomposed(SolveContext.of(inst))
        tol = 1e-6 * max(1.0, abs(expected))
        plan = assess_plan(inst, [o.lot for o in alone.outcomes])
        if not plan.feasible or alone.objective > expected + tol:
            problems.append((seed, "plan", expected, alone.objective))
        if alone.best_bound < expected - tol:
            problems.append((seed, "bound", expected, alone.best_bound))
        if alone.status == "optimal" and abs(alone.objective - expected) > tol:
            problems.append((seed, "claim", expected, alone.objective))
        priced += alone.iterations > 1
        unproven += alone.status != "optimal"
    assert not problems
    assert priced >= 5  # measured: 8 of 44
    assert unproven <= coupled // 10


def test_column_pricing_sees_own_limit_duals() -> None:
    """For random duals, own-limit duals rho included: the exact pricing MILP's bound
    is at least the reduced cost of every lot brute force lists that a plan can hold,
    its lot reaches the best of them, and the greedy Lagrangian bound stays above the
    optimum."""
    rng = random.Random(3)
    checked = with_rho = biting = 0
    for seed in range(40):
        inst, expected = _case(seed)
        horizon = inst.settings.horizon
        pi = {(o, c): rng.choice([0.0, 0.0, 2.0, 10.0]) for o, c in inst.demand_of}
        capped = [key for key, off in inst.offer.items() if off.capacity < float("inf")]
        mu = {key: rng.choice([0.0, 0.0, 0.2]) for key in capped}
        nu = {p: rng.choice([0.0, 0.0, 3.0]) for p in range(1, horizon + 1)}
        rho = {
            (o, p): rng.choice([0.0, 5.0, 30.0])
            for o in inst.binding_org_capacity
            for p in range(1, horizon + 1)
        }
        with_rho += any(rho.values())
        cands = build_candidates(inst)
        pricers = {c: p for c in inst.category if (p := CategoryPricer(cands, c)).pool}
        assert plan_bound(inst, pricers, pi, mu, nu, rho) >= expected - 1e-6
        for c in inst.category:
            sets = category_sets(cands, c)
            lots = [
                out.lot
                for out in profitable_lots(inst, c)  # those a plan can hold: within capacity
                if out.volume <= inst.offer[(out.lot.supplier_id, c)].capacity * (1 + 1e-9)
            ]
            if sets is None:
                assert not lots
                continue
            pi_c = {o: v for (o, cc), v in pi.items() if cc == c}
            mu_c = {s: v for (s, cc), v in mu.items() if cc == c}
            best = max((reduced_cost(inst, lot, pi_c, mu_c, nu, rho) for lot in lots), default=0.0)
            unpriced = max((reduced_cost(inst, lot, pi_c, mu_c, nu) for lot in lots), default=0.0)
            biting += best < unpriced - 1e-9
            problem = PricingProblem(cands, sets)
            problem.set_duals(pi_c, mu_c, nu, rho)
            found, bound = problem.solve(30.0)
            tol = 1e-6 * max(1.0, abs(best))
            assert bound >= best - tol, (seed, c, bound, best)
            if best > tol:
                assert found
                assert reduced_cost(inst, found[0], pi_c, mu_c, nu, rho) >= best - tol
            checked += 1
    assert checked >= 25 and with_rho >= 20 and biting >= 6  # measured: 30, 28, 9


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([{k: str(v) for k, v in row.items()} for row in rows])


def _staggered_tables(limit: str) -> dict[str, pd.DataFrame]:
    orgs = [{"org_id": "B", "max_parallel_formations": ""}]
    orgs.append({"org_id": "A", "max_parallel_formations": limit})
    categories = [
        {"category_id": c, "base_lead": 1, "member_lead": 0, "min_members": 1} for c in "EF"
    ]
    demand = [
        {"org_id": o, "category_id": c, "quantity": 10, "baseline_price": 10}
        for o in "BA"
        for c in "EF"
    ]
    offers = [{"supplier_id": f"S{c}", "category_id": c, "discount": "all_units"} for c in "EF"]
    tiers = [
        {"supplier_id": "SE", "category_id": "E", "min_quantity": 0, "unit_price": 9.5},
        {"supplier_id": "SE", "category_id": "E", "min_quantity": 20, "unit_price": 8},
        {"supplier_id": "SF", "category_id": "F", "min_quantity": 0, "unit_price": 9.5},
        {"supplier_id": "SF", "category_id": "F", "min_quantity": 20, "unit_price": 9},
    ]
    return {
        "settings": _frame([{"key": "horizon", "value": 3}]),
        "organizations": _frame(orgs),
        "categories": _frame(categories),
        "demand": _frame(demand),
        "suppliers": _frame([{"supplier_id": "SE"}, {"supplier_id": "SF"}]),
        "offers": _frame(offers),
        "tiers": _frame(tiers),
    }


@pytest.mark.parametrize("formulation", ["compact", "compact-delta", "compact-convex", "columns"])
def test_own_limit_staggers_two_formations(formulation: str) -> None:
    """B and A (in that order, so B represents every lot they share and A enters the
    compact model as a joining member) buy 10 units at 10 in categories E and F.
    Lead time 1 period, horizon 3, no central limit, no one-off costs. Together
    (volume 20) E costs 8 and F costs 9 a unit; alone (volume 10) either costs 9.5.

    Per period: E{B,A} saves 20 x 2 = 40, F{B,A} 20 x 1 = 20, a lot of one member
    10 x 0.5 = 5. Started in period 1 a lot is live from period 2 (2 periods),
    started in period 2 from period 3 (1 period).

    Without limits both pairs start in period 1: 2 x 40 + 2 x 20 = 120. With
    k(A) = 1, A helps form one lot at a time, so the best plans are
    - E{B,A} in 1, F{B,A} in 2: 80 + 20 = 100 (the optimum, staggered);
    - E{B,A} in 1, F{B} in 1, F{A} in 2: 80 + 10 + 5 = 95;
    - E{B,A} in 1, F{B} in 1: 90;  F{B,A} in 1, E{B,A} in 2: 40 + 40 = 80.
    """
    inst = instance_from_tables(_staggered_tables("1"))
    assert inst.binding_org_capacity == {"A": 1}
    assert enumerate_optimum(inst)[0] == pytest.approx(100.0)
    free = instance_from_tables(_staggered_tables(""))
    assert enumerate_optimum(free)[0] == pytest.approx(120.0)

    result = solve(inst, SolveOptions(formulation=formulation))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(100.0)
    assert result.best_bound == pytest.approx(100.0)
    lots = {(o.lot.category_id, o.lot.members, o.lot.start) for o in result.outcomes}
    assert lots == {("E", ("B", "A"), 1), ("F", ("B", "A"), 2)}
    assert solve(free, SolveOptions(formulation=formulation)).objective == pytest.approx(120.0)


def test_compact_family_writes_product_rows_for_joining_members() -> None:
    """On the staggered instance A can join B's lots: the family holds one product
    variable per (A, slot of B, period forming) and a limit row per period in which
    both categories can be forming (periods 1 and 2; formation ends by T - 1 = 2)."""
    idx = build_index(build_candidates(instance_from_tables(_staggered_tables("1"))))
    m = build_model(idx)
    assert sorted(m.own_formation_limit) == [("A", 1), ("A", 2)]
    assert sorted(m.own_forming) == [("A", c, "B", p) for c in "EF" for p in (1, 2)]


def test_exported_model_keeps_own_limits(tmp_path: Path) -> None:
    """The model file of ``consortia export`` holds the family too: plain HiGHS
    reading it reaches the enumerated optimum where own limits can bind."""
    wrong, read = [], 0
    for seed in range(40):
        inst, expected = _case(seed)
        if not inst.binding_org_capacity:
            continue
        path = export_model(inst, tmp_path / f"seed{seed}.lp", "lp")
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)  # as the engine's own solves in this process
        h.readModel(str(path))
        h.run()
        read += 1
        value = float(h.getInfo().objective_function_value)
        if abs(value - expected) > 1e-6 * max(1.0, abs(expected)):
            wrong.append((seed, expected, value))
    assert not wrong and read >= 25
