"""Instances without a feasible plan on the command line (spec section 13): exit 3,
summary.json alone with the conflict, the conflict printed in words; check and
report refuse a folder without a plan; what-if and target carry on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia.cli import main
from consortia.solvers.base import SolveContext, finish_without_plan
from consortia.solvers.result import Result

INFEASIBLE = INSTANCES / "tiny" / "infeasible_locks"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")}


def test_solve_exits_3_with_the_conflict_and_writes_only_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    code, text = run("solve", INFEASIBLE, "--out", out, "--quiet")
    assert code == 3, text
    assert "No feasible plan: no plan keeps every lock and rule (proven)." in text
    assert "  - lock row 2 (together A and B in food): A and B are in one lot of food" in text
    assert "  - lock row 3 (join B in food on S2): B is in a lot of food on S2" in text
    assert "S2 does not serve region 'north' (rule 4)" in text
    assert files(out) == {"summary.json"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert summary["objective"] is None and summary["best_bound"] is None
    assert summary["gap"] is None and summary["lots"] == 0
    assert [line.split(":")[0] for line in summary["conflict"][:2]] == [
        "lock row 2 (together A and B in food)",
        "lock row 3 (join B in food on S2)",
    ]
    assert not list(tmp_path.glob(".plan*"))  # written atomically, nothing left over
    code, text = run("runs", "list")
    assert "infeasible" in text


def test_a_plan_folder_is_replaced_by_the_summary_alone(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    code, _ = run("solve", INSTANCES / "tiny" / "regions", "--out", out, "--quiet")
    assert code == 0 and "lots.csv" in files(out)
    code, _ = run("solve", INFEASIBLE, "--out", out, "--quiet")
    assert code == 3 and files(out) == {"summary.json"}


def test_check_and_report_refuse_a_folder_without_a_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    run("solve", INFEASIBLE, "--out", out, "--quiet")
    code, text = run("check", INFEASIBLE, out)
    assert code == 2 and "holds no plan: its solve ended 'infeasible'" in text
    assert "lock row 2" in text
    code, text = run("report", out, "--out", tmp_path / "r.html")
    assert code == 2 and "holds no plan" in text and not (tmp_path / "r.html").exists()


class _Stopped:
    """A strategy whose search is stopped by its limit before any plan is found."""

    name = "stopped"
    help = ""

    def supports(self, ctx: SolveContext) -> None:
        return None

    def solve(self, ctx: SolveContext) -> Result:
        return finish_without_plan(ctx, "stopped", proven=False)


def test_no_plan_on_a_time_limit_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search stopped before it found a plan or proved there is none (here every
    solve, those of the conflict search too) ends ``no_plan``: exit 3, summary only,
    no conflict claimed."""
    monkeypatch.setattr("consortia.solvers.registry.strategy", lambda name: _Stopped())
    out = tmp_path / "plan"
    code, text = run("solve", INSTANCES / "tiny" / "lock_join", "--out", out, "--quiet")
    assert code == 3, text
    assert text.startswith("No plan: stopped before a plan keeping every lock and rule")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "no_plan" and summary["conflict"] == []
    assert files(out) == {"summary.json"}


def test_whatif_and_target_carry_on_without_a_plan(tmp_path: Path) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "drop the join"\nchanges = [ { kind = "remove_locks", row = 3 } ]\n'
    )
    out = tmp_path / "whatif"
    code, text = run("whatif", INFEASIBLE, scenarios, "--out", out, "--workers", "1")
    assert code == 0, text
    assert files(out / "base") == {"summary.json"}
    assert "lots.csv" in files(out / "drop-the-join")
    base = json.loads((out / "base" / "summary.json").read_text())
    assert base["status"] == "infeasible" and base["conflict"]
    comparison = (out / "comparison.csv").read_text().splitlines()
    assert comparison[1].startswith("base,base,infeasible,,,,0,0,")
    code, text = run("target", INFEASIBLE, "--out", tmp_path / "t", "--target", "10", "--quiet")
    assert code == 3 and "No plan keeps every rule" in text


def test_explain_a_lock_no_plan_keeps_exits_3(tmp_path: Path) -> None:
    """S1 serves only the north, so B (south) cannot buy from it: exit 3 with the
    conflict, found before any search; a bad request exits 2."""
    plan = tmp_path / "plan"
    code, text = run("solve", INSTANCES / "tiny" / "regions", "--out", plan, "--quiet")
    assert code == 0, text
    code, text = run(
        "explain",
        INSTANCES / "tiny" / "regions",
        plan,
        "--org",
        "B",
        "--category",
        "fleet",
        "--supplier",
        "S1",
        "--quiet",
    )
    assert code == 3, text
    assert text.splitlines() == [
        "Why is B not in a lot of fleet on S1?",
        "The plan saves 20.00 GBP (best bound 20.00 GBP).",
        "Solved again with the asked lock (join B in fleet on S1):",
        "No feasible plan: no plan keeps every lock and rule (proven).",
        "Conflict (locks by their row in the locks table):",
        "  - the asked lock (join B in fleet on S1): no lot of fleet on S1 can hold B: S1 does "
        "not serve region 'south' (rule 4)",
    ]
    code, text = run(
        "explain",
        INSTANCES / "tiny" / "regions",
        plan,
        "--org",
        "B",
        "--category",
        "paper",
    )
    assert code == 2 and "unknown category 'paper'" in text
