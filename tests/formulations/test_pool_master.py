"""The set-packing master over proposed lots (formulations/pool_master.py)."""

from __future__ import annotations

import highspy
import numpy as np

from consortia.data.reader import instance_from_tables
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.pool_master import PoolMaster
from consortia.formulations.priced_lots import priced_lots
from consortia.formulations.regional import chunked_lots
from consortia.formulations.slot_bound import slot_prices
from consortia.rules.plan import assess_plan, total_net
from consortia.solvers.bruteforce import enumerate_optimum
from tiny_random import random_coupled_tables, random_tiny_tables, random_v2_tables


def test_the_pool_plan_keeps_the_rules_and_improves_on_the_schedule() -> None:
    """On random tiny instances (graphs, readiness, own limits, one formation at a
    time): the master's plan over the chunked and priced lots keeps every rule, is
    never worse than the greedy schedule of the same lots it starts from, never
    above the brute-force optimum, its LP never below its plan; and it beats the
    schedule on some instances."""
    better = 0
    for make in (random_tiny_tables, random_v2_tables, random_coupled_tables):
        for seed in range(30):
            master, value, gained = _solved_and_checked(make, seed)
            master.h.clearSolver()
            relaxed, _ = _lp(master)
            assert relaxed >= value - 1e-6 * max(1.0, value)
            better += gained
    assert better >= 3, better  # measured: 7 of 90


def _lp(master: PoolMaster) -> tuple[float, dict[tuple[object, ...], float]]:
    """The master's LP relaxation, after its integer solve."""
    n = len(master.columns)
    master.h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kContinuous)
    )
    return master.solve_lp()


def test_a_large_pool_is_dived_and_its_plan_keeps_the_rules(monkeypatch) -> None:
    """With every pool counted large (``pool_dive``): the dive's plan keeps every
    rule, is never worse than its start nor above the brute-force optimum, and
    beats the start on some instances."""
    import consortia.formulations.pool_master as pool_master

    monkeypatch.setattr(pool_master, "LARGE_POOL_NONZEROS", 0)
    better = sum(
        _solved_and_checked(make, seed)[2]
        for make in (random_v2_tables, random_coupled_tables)
        for seed in range(20)
    )
    assert better >= 1, better


def _solved_and_checked(make, seed: int) -> tuple[PoolMaster, float, bool]:
    """The master over the chunked and priced lots of a random tiny instance, solved
    from the greedy schedule of those lots; its plan is asserted to keep every rule,
    to be no worse than that start and no better than the brute-force optimum.
    (master, plan value, whether it beat the start)"""
    inst = instance_from_tables(make(seed))
    optimum, _ = enumerate_optimum(inst)
    lots = [lot for _, lot in chunked_lots(inst)]
    lots += [lot for _, lot in priced_lots(inst, slot_prices(inst, 0.0, 0.5), 0.0)]
    start = schedule_lots(inst, lots)
    master = PoolMaster(inst)
    master.add([o.lot for o in start])
    master.add(lots)
    plan = master.solve_ip(start, 10.0)
    assert assess_plan(inst, [o.lot for o in plan]).feasible, (make.__name__, seed)
    value = total_net(plan)
    assert value >= total_net(start) - 1e-6 * max(1.0, value)
    assert value <= optimum + 1e-6 * max(1.0, optimum), (make.__name__, seed)
    return master, value, value > total_net(start) + 1e-6 * max(1.0, value)
