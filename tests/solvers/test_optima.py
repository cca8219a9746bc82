"""Exact optima of hand-derived instances: the spec's examples, tiny/ and the demo."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, INSTANCES
from consortia import Lot, check_plan, read_instance, solve, write_result

TINY = {
    "tier_threshold": 120,
    "incremental": 360,
    "capacity": 60,
    "regions": 20,
    "lead_time": 20,
    "parallel_limit": 20,
    "connectivity": 40,
    "rationality": 0,
    "rationality_off": 57,
    "one_off_costs": 19,
    "availability": 20,
    "discounting": 10 + 10 / 1.1,
    "shared_team": 26,
    "earliest_target": 180,
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_optimum(name: str) -> None:
    result = solve(read_instance(INSTANCES / "tiny" / name))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(TINY[name], abs=1e-6)
    assert result.best_bound == pytest.approx(TINY[name], abs=1e-4)


def test_every_tiny_instance_has_an_expected_optimum() -> None:
    folders = {p.name for p in (INSTANCES / "tiny").iterdir() if p.is_dir()}
    assert folders == set(TINY)


def test_pooling_example_optimum(tmp_path) -> None:
    inst = read_instance(FIXTURES / "pooling")
    result = solve(inst)
    assert result.objective == pytest.approx(170)
    assert [o.lot for o in result.outcomes] == [Lot("paper", "S2", ("A", "B", "C"), 1)]
    assert result.outcomes[0].live == 3
    write_result(result, tmp_path / "plan")
    assert check_plan(inst, tmp_path / "plan").ok


def test_timeline_example_optimum() -> None:
    result = solve(read_instance(FIXTURES / "timeline"))
    assert result.objective == pytest.approx(130)
    energy = [o for o in result.outcomes if o.lot.category_id == "energy"]
    assert [o.lot.members for o in energy] == [("D", "E")]
    assert sorted(o.lot.members for o in result.outcomes if o.lot.category_id == "ict") == [
        ("D",),
        ("F",),
    ]


def test_demo_optimum_is_the_documented_plan() -> None:
    result = solve(read_instance(INSTANCES / "demo"))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(189343.66620107525, rel=1e-9)
    lots = {
        (o.lot.category_id, o.lot.supplier_id, o.lot.members, o.lot.start, o.live)
        for o in result.outcomes
    }
    assert lots == {
        ("energy", "KPW", ("MBC",), 1, 3),
        ("energy", "CEB", ("KCC", "KAT", "EKH", "KFR", "LBB"), 3, 7),
        ("ict", "DGF", ("KCC", "MBC", "EKH", "KFR"), 3, 7),
    }
    assert result.target_period == 8


def test_time_limited_run_returns_a_checked_plan(tmp_path) -> None:
    from consortia.data.generator import GeneratorOptions, generate_instance
    from consortia.data.reader import instance_from_tables
    from consortia.solvers.registry import SolveOptions

    inst = instance_from_tables(generate_instance(GeneratorOptions(30, 4, 8, 12, seed=5)))
    result = solve(inst, SolveOptions(time_limit=1.0))
    assert result.status in ("optimal", "feasible")
    assert result.best_bound >= result.objective - 1e-6
    write_result(result, tmp_path / "plan")
    assert check_plan(inst, tmp_path / "plan").ok
