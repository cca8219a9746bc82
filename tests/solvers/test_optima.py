"""Exact optima of hand-derived instances: the spec's examples, tiny/ and the demo."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, INSTANCES
from consortia import Lot, check_plan, read_instance, solve, write_result
from consortia.solvers.registry import names

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
    "contract_expiry": 120,
    "own_capacity": 50,
}

# Supplier rules (spec section 11) and locks (section 12), optima derived by hand
# (None: no feasible plan, section 13). The formulations that take them (compact,
# columns, decompose, auto) are checked on each by tests/solvers/test_v3_rules.py;
# the others refuse them.
RULES_TINY: dict[str, float | None] = {
    "max_suppliers": 48,
    "max_share": 75,
    "lock_join": 6,
    "lock_exclude": 25,
    "lock_together": 30,
    "lock_apart": 10,
    "infeasible_locks": None,
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_optimum(name: str) -> None:
    result = solve(read_instance(INSTANCES / "tiny" / name))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(TINY[name], abs=1e-6)
    assert result.best_bound == pytest.approx(TINY[name], abs=1e-4)


@pytest.mark.parametrize("name", sorted(RULES_TINY))
def test_rules_tiny_optimum(name: str) -> None:
    """The default formulation proves each hand optimum, or that no plan exists."""
    result = solve(read_instance(INSTANCES / "tiny" / name))
    expected = RULES_TINY[name]
    if expected is None:
        assert result.status == "infeasible" and not result.has_plan
        assert result.conflict
    else:
        assert result.status == "optimal"
        assert result.objective == pytest.approx(expected, abs=1e-6)
        assert result.best_bound == pytest.approx(expected, abs=1e-4)


def test_every_tiny_instance_has_an_expected_optimum() -> None:
    folders = {p.name for p in (INSTANCES / "tiny").iterdir() if p.is_dir()}
    assert folders == set(TINY) | set(RULES_TINY)


@pytest.mark.parametrize("name", sorted(RULES_TINY))
def test_rules_instance_brute_force_optimum(name: str) -> None:
    from consortia.solvers.bruteforce import optimum_or_none

    found = optimum_or_none(read_instance(INSTANCES / "tiny" / name))
    expected = RULES_TINY[name]
    if expected is None:
        assert found is None
    else:
        assert found is not None and found[0] == pytest.approx(expected, abs=1e-9)


# The timing rules of spec sections 9 and 10: (table, column) of the rule, and the
# hand optimum without that column (instances/tiny/README.md)
TIMING = {
    "contract_expiry": ("demand", "ready_period", 200),
    "own_capacity": ("organizations", "max_parallel_formations", 60),
}
# formulations that must prove the hand optimum of every instance they take
EXACT = ("auto", "compact")


@pytest.mark.parametrize("name", sorted(TIMING))
def test_timing_rule_changes_the_brute_force_optimum(name: str, tmp_path) -> None:
    import shutil

    import pandas as pd

    from consortia.rules.plan import assess_plan
    from consortia.solvers.bruteforce import enumerate_optimum

    table, column, without = TIMING[name]
    inst = read_instance(INSTANCES / "tiny" / name)
    value, plan = enumerate_optimum(inst)
    assert value == pytest.approx(TINY[name], abs=1e-9)
    assert assess_plan(inst, [o.lot for o in plan]).feasible
    folder = tmp_path / name
    shutil.copytree(INSTANCES / "tiny" / name, folder)
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=[column]).to_csv(folder / f"{table}.csv", index=False)
    assert enumerate_optimum(read_instance(folder))[0] == pytest.approx(without, abs=1e-9)


@pytest.mark.parametrize("formulation", names())
@pytest.mark.parametrize("name", sorted(TIMING))
def test_timing_rule_optimum_by_every_formulation(name: str, formulation: str) -> None:
    """Every formulation that takes the instance returns a feasible plan no better
    than the optimum and a bound no lower; `EXACT` ones prove the optimum. One that
    refuses (its ``supports``) says why in a sentence and is skipped."""
    from consortia.errors import UsageError
    from consortia.rules.plan import assess_plan
    from consortia.solvers.options import SolveOptions

    inst = read_instance(INSTANCES / "tiny" / name)
    best = TINY[name]
    try:
        result = solve(inst, SolveOptions(formulation=formulation))
    except UsageError as refusal:
        reason = str(refusal)
        assert formulation not in EXACT, reason
        assert "\n" not in reason and len(reason.split()) >= 6 and "Traceback" not in reason
        pytest.skip(f"{formulation} refuses {name}: {reason}")
    assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible
    assert result.objective <= best + 1e-6
    assert result.best_bound >= best - 1e-6
    if formulation in EXACT or result.status == "optimal":
        assert result.status == "optimal"
        assert result.objective == pytest.approx(best, abs=1e-6)


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
