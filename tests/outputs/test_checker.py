"""The independent checker catches every kind of violation in hand-broken plans."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import FIXTURES, INSTANCES
from consortia import check_plan, read_instance, solve, write_result


@pytest.fixture
def timeline_plan(tmp_path: Path) -> tuple[object, Path]:
    inst = read_instance(FIXTURES / "timeline")
    return inst, write_result(solve(inst), tmp_path / "plan")


@pytest.fixture
def pooling_plan(tmp_path: Path) -> tuple[object, Path]:
    inst = read_instance(FIXTURES / "pooling")
    return inst, write_result(solve(inst), tmp_path / "plan")


def _edit(plan: Path, table: str, change) -> None:
    frame = pd.read_csv(plan / f"{table}.csv", dtype={"lot_id": str, "org_id": str})
    frame = change(frame)
    frame.to_csv(plan / f"{table}.csv", index=False)


def _violations(inst, plan: Path) -> str:
    report = check_plan(inst, plan)
    assert not report.ok
    return "\n".join(report.violations)


def test_solver_plan_passes(timeline_plan) -> None:
    inst, plan = timeline_plan
    report = check_plan(inst, plan)
    assert report.ok, report.violations
    assert report.objective == pytest.approx(130)


def test_member_in_two_lots(timeline_plan) -> None:
    inst, plan = timeline_plan
    # F joins D's ict lot as well as keeping its own: (F, ict) is in two lots.
    _edit(
        plan,
        "lot_members",
        lambda f: pd.concat(
            [
                f,
                pd.DataFrame(
                    [
                        {
                            "lot_id": "L002",
                            "org_id": "F",
                            "quantity": 10,
                            "baseline_price": 50,
                            "unit_price": 49,
                            "savings_per_period": 10,
                        }
                    ]
                ),
            ]
        ),
    )
    assert "F is in 2 lots of ict" in _violations(inst, plan)


def test_member_without_demand(timeline_plan) -> None:
    inst, plan = timeline_plan
    _edit(plan, "lot_members", lambda f: f.replace({"org_id": {"F": "E"}}))
    assert "has no demand in ict" in _violations(inst, plan)


def _set_start(plan: Path, lot_id: str, start: int) -> None:
    def change(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[f.lot_id == lot_id, "formation_start"] = start
        return f

    _edit(plan, "lots", change)


def test_readiness(timeline_plan) -> None:
    inst, plan = timeline_plan
    _set_start(plan, "L003", 1)
    assert "before a member is ready" in _violations(inst, plan)


def test_live_after_horizon(timeline_plan) -> None:
    inst, plan = timeline_plan
    _edit(plan, "lots", lambda f: f.assign(formation_start=6))
    assert "after the horizon" in _violations(inst, plan)


def test_parallel_formation_limit(timeline_plan) -> None:
    inst, plan = timeline_plan
    _set_start(plan, "L001", 3)
    assert "lots are forming in period 3, more than 1" in _violations(inst, plan)


def test_connectivity(timeline_plan) -> None:
    inst, plan = timeline_plan
    # D and F in one ict lot: E is not in it, so D and F are not connected.
    _edit(plan, "lot_members", lambda f: f.replace({"lot_id": {"L003": "L002"}}))
    _edit(plan, "lots", lambda f: f[f.lot_id != "L003"])
    assert "not connected" in _violations(inst, plan)


def test_region_not_served(tmp_path) -> None:
    inst = read_instance(INSTANCES / "tiny" / "regions")
    plan = write_result(solve(inst), tmp_path / "plan")
    _edit(plan, "lots", lambda f: f.assign(supplier_id="S1"))
    assert "does not serve the region of B" in _violations(inst, plan)


def test_capacity(tmp_path) -> None:
    inst = read_instance(INSTANCES / "tiny" / "capacity")
    plan = write_result(solve(inst), tmp_path / "plan")
    _edit(plan, "lots", lambda f: f.assign(supplier_id="S1"))
    assert "over capacity 50" in _violations(inst, plan)


def test_min_volume_and_member_limits(tmp_path) -> None:
    inst = read_instance(INSTANCES / "tiny" / "lead_time")
    plan = write_result(solve(inst), tmp_path / "plan")
    _edit(plan, "lot_members", lambda f: pd.concat([f, f.assign(org_id="C").head(1)]))
    # three members: lead 3, live 4 > horizon 3
    assert "after the horizon" in _violations(inst, plan)


def test_individual_rationality(tmp_path) -> None:
    inst_off = read_instance(INSTANCES / "tiny" / "rationality_off")
    plan = write_result(solve(inst_off), tmp_path / "plan")
    inst_on = read_instance(INSTANCES / "tiny" / "rationality")
    text = _violations(inst_on, plan)
    assert "B would pay more than its baseline" in text


def test_wrong_numbers(pooling_plan) -> None:
    inst, plan = pooling_plan
    _edit(plan, "lots", lambda f: f.assign(net_savings=f.net_savings + 1, volume=f.volume * 2))
    _edit(plan, "lot_members", lambda f: f.assign(unit_price=f.unit_price - 0.5))
    _edit(plan, "timeline", lambda f: f.assign(savings=f.savings + 1))
    text = _violations(inst, plan)
    assert "net_savings is" in text and "volume is" in text
    assert "member A: unit_price" in text
    assert "timeline period 1: savings" in text


def test_objective_mismatch_and_hash(pooling_plan) -> None:
    inst, plan = pooling_plan
    summary = json.loads((plan / "summary.json").read_text())
    summary["objective"] = 171
    summary["instance_sha256"] = "0" * 64
    (plan / "summary.json").write_text(json.dumps(summary))
    text = _violations(inst, plan)
    assert "summary objective 171" in text
    assert "instance_sha256" in text


def test_missing_files(pooling_plan) -> None:
    inst, plan = pooling_plan
    (plan / "lot_members.csv").unlink()
    (plan / "summary.json").write_text("{not json")
    text = _violations(inst, plan)
    assert "lot_members.csv is missing" in text
    assert "summary.json cannot be read" in text


def test_below_first_tier(tmp_path) -> None:
    import shutil

    folder = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny" / "tier_threshold", folder)
    (folder / "tiers.csv").write_text(
        "supplier_id,category_id,min_quantity,unit_price\nS1,paper,40,10\nS1,paper,50,9\n"
    )
    inst = read_instance(folder)
    from consortia.rules.plan import Lot, assess_plan

    assessment = assess_plan(inst, [Lot("paper", "S1", ("A",), 1)])
    assert any("below the first tier" in v for v in assessment.violations)


# ------------------------- the timing rules of spec sections 9 and 10 (consortia check)


def _without_column(folder: Path, table: str, column: str, target: Path) -> Path:
    """A copy of an instance folder without one of its columns (the version-1 instance)."""
    import shutil

    shutil.copytree(folder, target)
    frame = pd.read_csv(target / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=[column]).to_csv(target / f"{table}.csv", index=False)
    return target


def _plan_of(inst, plan: Path, outcomes) -> Path:
    """The plan files of `outcomes`, stamped with `inst`'s content hash."""
    from consortia.rules.plan import total_net
    from consortia.solvers.result import Result

    value = total_net(outcomes)
    return write_result(Result(inst, "optimal", value, value, list(outcomes), "enumerate"), plan)


def _cli_check(instance: Path, plan: Path) -> tuple[int, list[str]]:
    from click.testing import CliRunner

    from consortia.cli import main

    done = CliRunner().invoke(main, ["check", str(instance), str(plan)])
    return done.exit_code, [
        line[4:] for line in done.output.splitlines() if line.startswith("  - ")
    ]


@pytest.mark.parametrize(
    "name,table,column,violation",
    [
        # B's paper contract ends in period 3: the version-1 optimum pools A and B at once
        (
            "contract_expiry",
            "demand",
            "ready_period",
            "lot paper/S1 {A, B}: starts in 1 before a member is ready (3)",
        ),
        # A (one specialist) forms energy and food at once in the version-1 optimum
        (
            "own_capacity",
            "organizations",
            "max_parallel_formations",
            "A helps form 2 lots in period 1, more than its limit 1",
        ),
    ],
)
def test_check_refuses_a_plan_that_breaks_a_timing_rule(
    tmp_path: Path, name: str, table: str, column: str, violation: str
) -> None:
    from consortia.solvers.bruteforce import enumerate_optimum

    folder = INSTANCES / "tiny" / name
    inst = read_instance(folder)
    v1 = read_instance(_without_column(folder, table, column, tmp_path / "v1"))
    # the plan that is best without the column, numbers right, as if written for inst
    _, unlimited = enumerate_optimum(v1)
    broken = _plan_of(inst, tmp_path / "broken", unlimited)
    assert _cli_check(folder, broken) == (1, [violation])
    # the plan that keeps the rule passes: the check is not refusing everything
    _, best = enumerate_optimum(inst)
    assert _cli_check(folder, _plan_of(inst, tmp_path / "kept", best)) == (0, [])


# ---------------------------------------------------------------- supplier rules and locks


def _written(inst, lots: list, folder: Path) -> Path:
    """A plan of these lots written with the numbers the rules give them."""
    from consortia.rules.plan import assess_plan
    from consortia.solvers.result import Result

    outcomes = assess_plan(inst, lots).outcomes
    value = sum(o.net for o in outcomes)
    return write_result(Result(inst, "feasible", value, value, outcomes, "hand"), folder)


def _check_cli(instance: Path, plan: Path) -> tuple[int, str]:
    from click.testing import CliRunner

    from consortia.cli import main

    result = CliRunner().invoke(main, ["check", str(instance), str(plan)])
    return result.exit_code, result.output


def _food(supplier: str, *members: str):
    from consortia.rules.plan import Lot

    return Lot("food", supplier, members, 1)


BROKEN = [
    (
        "max_suppliers",
        [("S1", "A"), ("S2", "B")],
        "category food uses 2 suppliers (S1, S2), more than its max_suppliers 1",
    ),
    (
        "max_share",
        [("S1", "A"), ("S2", "B")],
        "offer S1/food carries 60 of the 100 awarded in food, more than its max_share 0.5",
    ),
    ("lock_join", [], "lock row 2 (join B in food on S2): B is in no lot of food"),
    (
        "lock_join",
        [("S1", "A", "B")],
        "lock row 2 (join B in food on S2): B is in a lot of food on S1, not on S2",
    ),
    (
        "lock_exclude",
        [("S1", "A", "B", "C")],
        "lock row 2 (exclude C from food on S1): C is in lot food/S1 {A, B, C}",
    ),
    (
        "lock_together",
        [("S1", "A", "C"), ("S2", "B")],
        "lock row 2 (together B and C in food): B and C are in different lots of food",
    ),
    (
        "lock_apart",
        [("S1", "A", "B")],
        "lock row 2 (apart A and B in food): both are in lot food/S1 {A, B}",
    ),
]


@pytest.mark.parametrize("name,lots,violation", BROKEN, ids=[f"{b[0]}-{len(b[1])}" for b in BROKEN])
def test_check_rejects_a_plan_breaking_a_supplier_rule_or_lock(
    name: str, lots: list, violation: str, tmp_path: Path
) -> None:
    folder = INSTANCES / "tiny" / name
    inst = read_instance(folder)
    plan = _written(inst, [_food(*lot) for lot in lots], tmp_path / "plan")
    code, out = _check_cli(folder, plan)
    assert code == 1, out
    lines = out.splitlines()
    assert lines[0] == "Plan fails 1 check(s):" and len(lines) == 2, out  # the numbers agree
    assert lines[1].startswith(f"  - {violation}"), out


@pytest.mark.parametrize(
    "name",
    ["max_suppliers", "max_share", "lock_join", "lock_exclude", "lock_together", "lock_apart"],
)
def test_check_accepts_the_optimal_plan(name: str, tmp_path: Path) -> None:
    from consortia.solvers.bruteforce import enumerate_optimum

    folder = INSTANCES / "tiny" / name
    inst = read_instance(folder)
    plan = _written(inst, [o.lot for o in enumerate_optimum(inst)[1]], tmp_path / "plan")
    code, out = _check_cli(folder, plan)
    assert code == 0, out


def test_check_rejects_an_edited_supplier(tmp_path: Path) -> None:
    """The optimal plan of lock_join with B's lot moved from S2 to S1 by hand."""
    folder = INSTANCES / "tiny" / "lock_join"
    inst = read_instance(folder)
    plan = _written(inst, [_food("S1", "A"), _food("S2", "B")], tmp_path / "plan")
    _edit(plan, "lots", lambda f: f.assign(supplier_id="S1"))
    code, out = _check_cli(folder, plan)
    assert code == 1
    assert "lock row 2 (join B in food on S2): B is in a lot of food on S1, not on S2" in out
