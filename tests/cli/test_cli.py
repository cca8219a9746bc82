"""The command-line contract of spec section 8: exit codes, messages, files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, INSTANCES
from consortia.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_validate_ok() -> None:
    code, out = run("validate", INSTANCES / "demo")
    assert code == 0 and "valid" in out


def test_validate_lists_every_problem(pooling_copy: Path) -> None:
    (pooling_copy / "demand.csv").write_text(
        "org_id,category_id,quantity,baseline_price\nA,paper,x,10\nZ,paper,3,10\n"
    )
    code, out = run("validate", pooling_copy)
    assert code == 2
    assert "demand, row 2, column 'quantity': 'x' is not a number" in out
    assert "demand, row 3, column 'org_id': unknown organization 'Z'" in out
    assert "Traceback" not in out


def test_solve_writes_the_plan_and_check_accepts_it(tmp_path: Path) -> None:
    out_dir = tmp_path / "plan"
    code, out = run("solve", FIXTURES / "pooling", "--out", out_dir, "--gap", "0")
    assert code == 0, out
    assert "170.00" in out and "optimal" in out
    assert {p.name for p in out_dir.iterdir() if not p.name.startswith(".")} == {
        "lots.csv",
        "lot_members.csv",
        "timeline.csv",
        "summary.json",
        "uncovered.csv",
    }
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["status"] == "optimal" and abs(summary["objective"] - 170) < 1e-6
    assert summary["target_period"] is None and len(summary["instance_sha256"]) == 64
    code, out = run("check", FIXTURES / "pooling", out_dir)
    assert code == 0 and "feasible" in out


def test_solve_invalid_input_writes_nothing(pooling_copy: Path, tmp_path: Path) -> None:
    (pooling_copy / "settings.csv").write_text("key,value\nhorizon,-1\n")
    out_dir = tmp_path / "plan"
    code, out = run("solve", pooling_copy, "--out", out_dir)
    assert code == 2 and "settings, row 2, column 'value'" in out
    assert not out_dir.exists()
    assert not list(tmp_path.glob(".plan*"))


def test_solve_replaces_an_existing_plan(tmp_path: Path) -> None:
    out_dir = tmp_path / "plan"
    code, _ = run("solve", FIXTURES / "pooling", "--out", out_dir)
    assert code == 0
    code, _ = run("solve", FIXTURES / "timeline", "--out", out_dir)
    assert code == 0
    assert "timeline" in json.loads((out_dir / "summary.json").read_text())["instance"]
    assert not list(tmp_path.glob(".plan*"))


def test_check_reports_violations_with_exit_1(tmp_path: Path) -> None:
    out_dir = tmp_path / "plan"
    run("solve", FIXTURES / "timeline", "--out", out_dir)
    lots = pd.read_csv(out_dir / "lots.csv")
    lots["formation_start"] = 1
    lots.to_csv(out_dir / "lots.csv", index=False)
    code, out = run("check", FIXTURES / "timeline", out_dir)
    assert code == 1
    assert "forming in period 1" in out and "before a member is ready" in out


def test_check_bad_instance_exit_2(pooling_copy: Path, tmp_path: Path) -> None:
    (pooling_copy / "offers.csv").write_text("supplier_id\nS1\n")
    code, out = run("check", pooling_copy, tmp_path)
    assert code == 2 and "offers" in out


def test_missing_instance_is_a_sentence(tmp_path: Path) -> None:
    code, out = run("solve", tmp_path / "nope", "--out", tmp_path / "o")
    assert code == 2 and "no instance at" in out and "Traceback" not in out


def test_bad_option_is_exit_2(tmp_path: Path) -> None:
    code, _ = run("solve", FIXTURES / "pooling", "--out", tmp_path / "o", "--gap", "-1")
    assert code == 2


def test_generate_then_validate(tmp_path: Path) -> None:
    code, _ = run(
        "generate",
        tmp_path / "g",
        "--orgs",
        "12",
        "--categories",
        "3",
        "--suppliers",
        "4",
        "--periods",
        "8",
        "--seed",
        "7",
    )
    assert code == 0
    code, out = run("validate", tmp_path / "g")
    assert code == 0 and "12 organizations" in out


def test_console_script_has_no_traceback_on_bad_input(pooling_copy: Path, tmp_path: Path) -> None:
    (pooling_copy / "tiers.csv").write_text("supplier_id,category_id,min_quantity,unit_price\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "consortia.cli",
            "solve",
            str(pooling_copy),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "has no tiers" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_solve_writes_a_workbook_on_request(tmp_path: Path) -> None:
    out_dir = tmp_path / "plan"
    code, out = run("solve", INSTANCES / "demo", "--out", out_dir, "--format", "xlsx", "--quiet")
    assert code == 0, out
    book = pd.read_excel(out_dir / "plan.xlsx", sheet_name=None)
    assert list(book) == ["summary", "lots", "members", "timeline"]
    assert len(book["lots"]) == 3 and len(book["members"]) == 10 and len(book["timeline"]) == 8
    summary = dict(zip(book["summary"]["key"], book["summary"]["value"], strict=True))
    assert summary["status"] == "optimal"
    assert abs(float(summary["objective"]) - 189343.66620107525) < 1e-6
    assert (out_dir / "lots.csv").exists()  # the CSV files are always written


def test_progress_reaches_the_library_caller() -> None:
    from consortia import SolveOptions, read_instance, solve
    from consortia.solvers.options import Progress

    seen: list[Progress] = []
    solve(read_instance(INSTANCES / "demo"), SolveOptions(progress=seen.append))
    rounds = [p for p in seen if p.stage == "column generation"]
    assert rounds and {p.stage for p in seen} >= {"candidate sets", "greedy", "integer master"}
    # every bound reported for the whole problem is a valid one
    assert all(p.bound is not None and p.bound >= 189343.6 for p in rounds)
    assert all(p.bound is None or p.bound >= 189343.6 for p in seen if p.bound_name == "bound")


def test_progress_printer_waits_and_shows_gap(capsys) -> None:
    from consortia.cli.main import ProgressPrinter
    from consortia.solvers.options import Progress

    printer = ProgressPrinter(after=2.0)
    printer(Progress("compact MILP", 1.0, 50.0, 100.0))
    assert capsys.readouterr().err == ""
    printer(Progress("compact MILP", 3.0, 50.0, 100.0))
    printer.close()
    err = capsys.readouterr().err
    assert "plan 50" in err and "bound 100" in err and "gap 50.00%" in err


def test_offers_formulation_refused_where_it_is_not_exact(tmp_path: Path) -> None:
    # the demo has a collaboration graph and member-dependent lead times
    code, out = run(
        "solve", INSTANCES / "demo", "--out", tmp_path / "o", "--formulation", "offers", "--quiet"
    )
    assert code == 2 and "offers formulation needs" in out
    assert not (tmp_path / "o").exists()


def test_auto_uses_the_offer_model_where_it_is_exact(tmp_path: Path) -> None:
    code, out = run("solve", INSTANCES / "tiny" / "capacity", "--out", tmp_path / "o", "--quiet")
    assert code == 0 and "(offers)" in out and "60.00" in out


@pytest.mark.parametrize("builder", ["arrays", "pyomo"])
def test_both_builders_give_the_same_plan(tmp_path: Path, builder: str) -> None:
    out = tmp_path / builder
    code, text = run(
        "solve", INSTANCES / "tiny" / "capacity", "--out", out, "--quiet", "--builder", builder
    )
    assert code == 0 and "60.00" in text
    assert (out / "lots.csv").read_text().count("\n") == 3  # header and two lots


def test_decompose_formulation_from_the_command_line(tmp_path: Path) -> None:
    code, out = run(
        "solve",
        INSTANCES / "tiny" / "shared_team",
        "--out",
        tmp_path / "o",
        "--quiet",
        "--formulation",
        "decompose",
    )
    assert code == 0 and "(decompose)" in out and "26.00" in out


def test_solve_prints_the_savings_figures_target_and_coverage(tmp_path: Path) -> None:
    code, out = run("solve", INSTANCES / "demo", "--out", tmp_path / "plan", "--quiet")
    assert code == 0, out
    lines = {line.split("  ")[0]: line for line in out.splitlines() if "  " in line}
    assert (
        "279,800.00 GBP cumulative; 132,700.00 GBP a period from period 7" in lines["Gross savings"]
    )
    assert "75,000.00 GBP (fixed 43,000.00 + coordination 32,000.00)" in lines["One-off costs"]
    assert "204,800.00 GBP undiscounted (gross − one-off costs)" in lines["Net savings"]
    assert "189,343.67 GBP at 0.90% a period   (optimal)" in lines["Net present value"]
    assert lines["Target"].endswith(
        "250,000.00 GBP of cumulative gross savings, reached in period 8 (2028Q4)"
    )
    assert lines["Pooled"].endswith(
        "10 of 11 organization–category pairs (99% of volume, 95% of spend)"
    )
    assert lines["Left out"].endswith("1: 1 too small to pay its coordination cost")
    assert "uncovered.csv" in out and "Slot value" not in out
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["net_savings_measure"] == "net present value"
    assert summary["slot_value"] is None and summary["formation_limit_binding_periods"] == [
        3,
        4,
        5,
        6,
    ]


def test_solve_without_discounting_names_net_savings_the_objective(tmp_path: Path) -> None:
    code, out = run("solve", FIXTURES / "pooling", "--out", tmp_path / "plan", "--quiet")
    assert code == 0, out
    assert "Net present value" not in out and "undiscounted" not in out
    net = next(line for line in out.splitlines() if line.startswith("Net savings"))
    assert net.endswith("170.00 GBP (gross − one-off costs)   (optimal)")
    assert "Pooled             3 of 3 organization–category pairs (100% of volume" in out
    assert "Left out" not in out


def test_solve_slot_value_solves_again_with_one_more_slot(tmp_path: Path) -> None:
    code, out = run(
        "solve", INSTANCES / "demo", "--out", tmp_path / "plan", "--quiet", "--slot-value"
    )
    assert code == 0, out
    line = next(line for line in out.splitlines() if line.startswith("Slot value"))
    assert "about " in line and "for one more formation slot (limit 2 reached in 4" in line
    slot = json.loads((tmp_path / "plan" / "summary.json").read_text())["slot_value"]
    assert slot["limit"] == 2 and slot["binding_periods"] == [3, 4, 5, 6]
    assert slot["value_about"] == pytest.approx(
        slot["objective_with_one_more"] - 189343.66620107525, abs=1e-6
    )
    assert slot["value_about"] >= 0
