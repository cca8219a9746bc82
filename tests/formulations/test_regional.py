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
from tiny_random import random_tiny_tables


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
