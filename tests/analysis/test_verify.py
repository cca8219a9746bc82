"""solve --verify: independent witnesses agree with true optimal claims and catch
planted false ones."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia import SolveOptions, read_instance, solve
from consortia.analysis.verify import verify
from consortia.cli import main

CASES = ["demo", "tiny/connectivity", "tiny/parallel_limit", "tiny/shared_team", "tiny/incremental"]


@pytest.mark.parametrize("name", CASES)
def test_witnesses_agree_with_a_true_optimum(name: str) -> None:
    result = solve(read_instance(INSTANCES / name), SolveOptions(gap=1e-9))
    assert result.status == "optimal"
    verdicts = verify(result, 60)
    assert {v.status for v in verdicts} == {"agrees"}, verdicts
    assert any(v.witness.startswith("SCIP") for v in verdicts)


def test_a_bound_below_the_optimum_is_caught() -> None:
    true = solve(read_instance(INSTANCES / "demo"))
    planted = dataclasses.replace(
        true, objective=0.9 * true.objective, best_bound=0.9 * true.objective
    )  # claims optimal at 90%: the better plan exists
    verdicts = verify(planted, 60)
    assert all(v.status == "disagrees" for v in verdicts), verdicts
    assert all("above the engine's bound" in v.note for v in verdicts)


def test_a_plan_above_the_optimum_is_caught() -> None:
    true = solve(read_instance(INSTANCES / "tiny" / "shared_team"))
    planted = dataclasses.replace(
        true, objective=1.5 * true.objective, best_bound=1.5 * true.objective
    )
    verdicts = verify(planted, 60)
    assert all(v.status == "disagrees" for v in verdicts), verdicts
    assert all("below the engine's plan" in v.note for v in verdicts)


def test_nothing_is_claimed_without_optimal() -> None:
    true = solve(read_instance(INSTANCES / "demo"))
    feasible = dataclasses.replace(true, status="feasible")
    assert [v.status for v in verify(feasible)] == ["skipped"]


def test_cli_verify_reports_and_records(tmp_path) -> None:
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        main, ["solve", str(INSTANCES / "demo"), "--out", str(out), "--quiet", "--verify"]
    )
    assert result.exit_code == 0, result.output
    assert "Verify: SCIP" in result.output and "agrees" in result.output
    import json

    summary = json.loads((out / "summary.json").read_text())
    assert [v["status"] for v in summary["verification"]] == ["agrees", "agrees"]
