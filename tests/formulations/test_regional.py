"""The by-hand plan is feasible and the member bound is never below the optimum."""

from __future__ import annotations

import pytest

from conftest import INSTANCES
from consortia import SolveOptions, read_instance
from consortia.data.reader import instance_from_tables
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.regional import member_bound, regional_lots
from consortia.rules.plan import assess_plan, total_net
from consortia.solvers.bruteforce import enumerate_optimum
from consortia.solvers.registry import solve
from tiny_random import random_coupled_tables, random_tiny_tables


@pytest.mark.parametrize("chunk", range(2))
def test_plan_is_feasible_and_bound_valid_on_random_instances(chunk: int) -> None:
    for seed in range(chunk, 300, 2):
        inst = instance_from_tables(random_tiny_tables(seed))
        plan = schedule_lots(inst, regional_lots(inst))
        assert assess_plan(inst, [o.lot for o in plan]).feasible, seed
        optimum, _ = enumerate_optimum(inst)
        assert total_net(plan) <= optimum + 1e-6 * max(1.0, optimum), seed
        assert member_bound(inst) >= optimum - 1e-9, seed


@pytest.mark.parametrize("name", ["demo", "tiny/regions", "tiny/connectivity", "small/s20-seed1"])
def test_regional_strategy_on_hand_instances(name: str) -> None:
    inst = read_instance(INSTANCES / name)
    result = solve(inst, SolveOptions(formulation="regional"))
    assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible
    best = solve(inst, SolveOptions(gap=1e-9))
    assert result.objective <= best.objective + 1e-6
    assert result.best_bound >= best.objective - 1e-6
    if result.status == "optimal":
        assert result.objective >= best.objective - 1e-6 * max(1.0, best.objective)


@pytest.mark.parametrize("make", [random_tiny_tables, random_coupled_tables])
def test_scheduling_around_fixed_lots_keeps_them_and_every_rule(make) -> None:
    """On random tiny instances (one formation at a time on the coupled ones): around
    half of an optimal plan, held fixed, the scheduled plan keeps those lots as they
    are (members, offer, start), keeps every rule, is worth at least them and at
    most the optimum; around the whole optimal plan it is that plan."""
    grew = 0
    for seed in range(60):
        inst = instance_from_tables(make(seed))
        optimum, best = enumerate_optimum(inst)
        proposals = [out.lot for out in schedule_lots(inst, regional_lots(inst))]
        proposals += [out.lot for out in best]
        fixed = best[::2]
        plan = schedule_lots(inst, proposals, fixed=fixed)
        assert [out.lot for out in plan[: len(fixed)]] == [out.lot for out in fixed], seed
        assert assess_plan(inst, [o.lot for o in plan]).feasible, seed
        tol = 1e-6 * max(1.0, optimum)
        assert total_net(fixed) - tol <= total_net(plan) <= optimum + tol, seed
        grew += total_net(plan) > total_net(fixed) + tol
        whole = schedule_lots(inst, proposals, fixed=best)
        assert total_net(whole) == pytest.approx(optimum, rel=1e-9, abs=1e-6), seed
    assert grew >= 5, grew


def test_the_order_walks_the_graph_biggest_neighbour_first_up_to_its_limit() -> None:
    """Bodies 0-5 of sizes 3, 9, 9, 1, 7, 5 on the path 0-1-2-3 and the edge 4-5: body 1
    comes first (size 9, the first of the equals), then its bigger neighbour 2, then 0
    (3 against 3's 1), then 3; 4 and 5 lie in another component. A limit cuts the same
    walk short; without a graph the order is by size alone."""
    import numpy as np

    from consortia.formulations.regional import _order

    size = np.array([3.0, 9.0, 9.0, 1.0, 7.0, 5.0])
    near = {0: [1], 1: [0, 2], 2: [1, 3], 3: [2], 4: [5], 5: [4]}
    every = list(range(6))
    assert _order(every, size, near, 10) == [1, 2, 0, 3]
    assert _order(every, size, near, 2) == [1, 2]
    assert _order([0, 3, 4, 5], size, near, 10) == [4, 5]
    assert _order(every, size, None, 3) == [1, 2, 4]
