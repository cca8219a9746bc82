"""`consortia target` (spec section 14): the earliest period reaching the savings
target, the frontier F(1..T) with the Whitehall figure, and the smallest central
limit at a deadline, against brute force on random tiny instances and by hand."""

from __future__ import annotations

import json
import math
import random
from functools import cache

import pandas as pd
import pytest

from conftest import INSTANCES
from consortia import read_instance
from consortia.analysis.ladder import Ladder
from consortia.analysis.target import earliest_period, run_target, smallest_limit
from consortia.analysis.truncation import (
    earliest_live,
    lots_at_once,
    truncated,
    whitehall,
)
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.outputs.checker import check_plan
from consortia.solvers.bruteforce import enumerate_optimum, optimum_or_none
from consortia.solvers.options import SolveOptions
from tiny_random import (
    random_coupled_tables,
    random_tiny_tables,
    random_v2_tables,
)

EXACT = SolveOptions(gap=0.0)
SEEDS = range(40)


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


MAKERS = {"v1": random_tiny_tables, "v2": random_v2_tables}


def optimum(inst: Instance) -> float:
    """The optimum by enumeration; -inf when no plan keeps the rules."""
    found = optimum_or_none(inst)
    return -math.inf if found is None else found[0]


@cache
def brute(seed: int, kind: str = "v1") -> tuple[Instance, list[float], list[float]]:
    """A random tiny instance, F(1..T) and H(1..T) by enumeration."""
    inst = instance_from_tables(MAKERS[kind](seed), name=f"{kind}-{seed}")
    horizon = inst.settings.horizon
    frontier = [optimum(truncated(inst, p)) for p in range(1, horizon + 1)]
    wh = whitehall(inst)
    ceiling = [optimum(truncated(wh, p)) for p in range(1, horizon + 1)]
    return inst, frontier, ceiling


def a_target(seed: int, frontier: list[float]) -> float:
    """A target that is reached exactly, between two periods, or never."""
    rng = random.Random(seed)
    finite = [f for f in frontier if math.isfinite(f)]
    if not finite:
        return 1.0
    k = frontier.index(rng.choice(finite))
    kind = rng.choice(["exact", "between", "never"])
    if kind == "never":
        return frontier[-1] + 1.0
    if kind == "between" and k > 0 and frontier[k] > frontier[k - 1] + 1:
        return (frontier[k] + frontier[k - 1]) / 2
    return frontier[k]


def first_reaching(values: list[float], target: float) -> int | None:
    return next(
        (i + 1 for i, v in enumerate(values) if v >= target - 1e-9 * max(1.0, target)), None
    )


CASES = [(seed, "v1") for seed in SEEDS] + [(seed, "v2") for seed in range(10)]


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_earliest_period_and_frontier_match_brute_force(seed: int, kind: str) -> None:
    inst, frontier, ceiling = brute(seed, kind)
    target = a_target(seed, frontier)
    result = earliest_period(inst, EXACT, target=target, workers=1)
    expected = first_reaching(frontier, target)
    assert result.answer == expected
    if frontier[-1] == -math.inf:
        assert result.status == "infeasible"
        return
    assert result.status == ("decided" if expected is not None else "unreachable")
    for p, (f, h) in enumerate(zip(frontier, ceiling, strict=True), start=1):
        plan, bound = result.ladder.plan_at(p), result.ladder.bound_at(p)
        if f == -math.inf:  # no feasible plan by period p
            assert plan is None and bound == -math.inf, (p, plan, bound)
            continue
        assert close(plan, f), (p, plan, f)
        assert close(bound, f), (p, bound, f)
        assert bound >= f - 1e-6
        assert close(result.whitehall.plan(p), h), (p, result.whitehall.plan(p), h)
        assert h >= f - 1e-6  # the Whitehall figure is a ceiling
    if expected is not None:
        assert result.plan is not None and result.plan_key == expected
        assert result.plan.objective >= target - 1e-6
        assert result.plan.instance.settings.horizon == expected


def test_frontier_and_whitehall_transforms() -> None:
    inst = read_instance(INSTANCES / "demo")
    cut = truncated(inst, 3)
    assert cut.settings.horizon == 3 and cut.settings.discount_rate == 0
    assert (cut.offers["fixed_cost"] == 0).all()
    assert (cut.categories["coordination_cost"] == 0).all()
    assert cut.settings.max_parallel_formations == inst.settings.max_parallel_formations
    assert truncated(inst, 3, None).settings.max_parallel_formations is None
    wh = whitehall(inst)
    assert wh.settings.max_parallel_formations is None
    assert (wh.categories["base_lead"] == 0).all() and (wh.categories["member_lead"] == 0).all()
    assert set(wh.ready.values()) == {1}
    assert {o.available_from for o in wh.offer.values()} == {1}
    for column in ("ready_period",):
        if column in wh.demand.columns:
            assert (wh.demand[column] == 1).all()
    if "max_parallel_formations" in wh.organizations.columns:
        assert wh.organizations["max_parallel_formations"].isna().all()
    assert earliest_live(inst) is not None and earliest_live(inst) >= 1
    timed = instance_from_tables(random_v2_tables(3))
    assert timed.org_capacity and max(timed.pair_ready.values()) > 1
    wh = whitehall(timed)
    assert set(wh.pair_ready.values()) == {1} and wh.org_capacity == {}


@pytest.mark.parametrize("seed", range(12))
def test_smallest_limit_matches_brute_force(seed: int) -> None:
    inst = instance_from_tables(random_coupled_tables(seed), name=f"coupled{seed}")
    deadline = inst.settings.horizon
    largest = lots_at_once(inst)
    values = [enumerate_optimum(truncated(inst, deadline, w))[0] for w in range(1, largest + 1)]
    rng = random.Random(seed)
    target = rng.choice(values) if rng.random() < 0.8 else values[-1] + 1
    result = smallest_limit(inst, deadline, EXACT, target=target, workers=1)
    expected = first_reaching(values, target)
    assert result.answer == expected
    assert result.status == ("decided" if expected is not None else "unreachable")
    for w in result.solved:
        assert close(result.ladder.plan_at(w), values[w - 1])
        assert close(result.ladder.bound_at(w), values[w - 1])
    if expected is not None and expected > 1:
        assert result.ladder.bound_at(expected - 1) < target


def test_hand_checked_earliest_period(tmp_path) -> None:
    """instances/tiny/README.md: F = 0, 0, 40, 80, 130, 180; target 100 in period 5."""
    inst = read_instance(INSTANCES / "tiny" / "earliest_target")
    out = tmp_path / "t"
    result = run_target(inst, out, EXACT, workers=1)
    assert result.answer == 5 and result.status == "decided"
    frontier = pd.read_csv(out / "frontier.csv")
    assert list(frontier.columns) == [
        "period",
        "plan_cumulative",
        "bound_cumulative",
        "whitehall_cumulative",
    ]
    assert frontier["plan_cumulative"].tolist() == [0, 0, 40, 80, 130, 180]
    assert frontier["bound_cumulative"].tolist() == [0, 0, 40, 80, 130, 180]
    assert frontier["whitehall_cumulative"].tolist() == [50, 100, 150, 200, 250, 300]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["target"] == 100 and summary["earliest_period"] == 5
    assert summary["earliest_period_range"] == [5, 5]
    assert summary["proof"]["bound_key"] == 4 and summary["proof"]["bound_cumulative"] == 80
    assert summary["whitehall"]["status"] == "optimal"
    # the proof's plan, checked again against the 5-truncated instance written beside it
    plan_inst = read_instance(out / "instance")
    assert plan_inst.settings.horizon == 5
    report = check_plan(plan_inst, out / "plan")
    assert report.ok and report.objective == pytest.approx(130)
    assert "earliest" in (out / "frontier.svg").read_text()


def test_hand_checked_capacity(tmp_path) -> None:
    """By period 4 one formation at once saves 80 and two save 100: W = 2."""
    inst = read_instance(INSTANCES / "tiny" / "earliest_target")
    out = tmp_path / "w"
    result = run_target(inst, out, EXACT, deadline=4, workers=1)
    assert result.answer == 2 and result.status == "decided"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["max_parallel_formations"] == 2
    assert summary["proof"]["bound_cumulative"] == 80
    assert summary["proof"]["plan_cumulative"] == 100
    plan_inst = read_instance(out / "instance")
    assert plan_inst.settings.max_parallel_formations == 2
    assert check_plan(plan_inst, out / "plan").ok
    unreachable = smallest_limit(inst, 2, EXACT, target=1, workers=1)
    assert unreachable.status == "unreachable" and unreachable.answer is None


def test_two_workers_agree_with_one() -> None:
    inst = read_instance(INSTANCES / "tiny" / "earliest_target")
    one = earliest_period(inst, EXACT, workers=1)
    two = earliest_period(inst, EXACT, workers=2)
    assert one.answer == two.answer == 5
    assert len(two.solved) == len(one.solved)
    for p in range(1, inst.settings.horizon + 1):
        assert close(two.ladder.plan_at(p), one.ladder.plan_at(p) or 0.0)
        assert close(two.ladder.bound_at(p), one.ladder.bound_at(p))


def test_ladder_ranges() -> None:
    ladder = Ladder(6, 100.0, slope=True)
    assert ladder.span() == (1, None) and not ladder.decided()
    ladder.add_plan(2, 40.0, rate=30.0)  # 40 by 2, then 30 a period more: 100 by 4
    assert ladder.plan_at(4) == 100.0 and ladder.span() == (1, 4)
    ladder.add_bound(2, 90.0)  # F(1), F(2) <= 90
    assert ladder.span() == (3, 4)
    assert ladder.next_key(set()) == 3
    ladder.add_bound(3, 99.0)
    assert ladder.span() == (4, 4) and ladder.decided()
    never = Ladder(3, 10.0, slope=False)
    never.add_bound(3, 5.0)
    assert never.span() == (4, None) and never.decided()


def test_each_solve_gets_the_time_limit_asked_for() -> None:
    """Only a second solve of a period that left the answer open gets more time;
    the frontier's other periods get the time limit asked for."""
    inst = read_instance(INSTANCES / "tiny" / "earliest_target")
    limits: list[float | None] = []

    def listen(event: str, item: object) -> None:
        if event == "start" and getattr(item, "kind", "") == "period":
            limits.append(item.options.time_limit)  # type: ignore[attr-defined]

    options = SolveOptions(time_limit=30.0, gap=0.0)
    result = earliest_period(inst, options, workers=1, listener=listen)
    assert result.answer == 5 and len(limits) == 5 and set(limits) == {30.0}


def test_on_a_local_dask_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    inst = read_instance(INSTANCES / "tiny" / "earliest_target")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = earliest_period(inst, EXACT, scheduler=cluster.scheduler_address)
        limit = smallest_limit(inst, 4, EXACT, scheduler=cluster.scheduler_address)
    assert result.answer == 5 and limit.answer == 2
    assert [result.ladder.plan_at(p) for p in range(1, 7)] == [0, 0, 40, 80, 130, 180]
