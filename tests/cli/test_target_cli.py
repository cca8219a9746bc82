"""`consortia target` on the command line: exit codes 0, 2 and 3, the missing
target sentence, the files written and nothing written on bad input."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from conftest import INSTANCES
from consortia.cli import main
from consortia.solvers.result import Result

TINY = INSTANCES / "tiny" / "earliest_target"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_earliest_period_exit_0_and_files(tmp_path: Path) -> None:
    out = tmp_path / "t"
    code, text = run("target", TINY, "--out", out, "--gap", "0", "--workers", "1", "--quiet")
    assert code == 0, text
    assert "first reached in period 5" in text
    assert "period 4" in text and "Whitehall" in text
    frontier = pd.read_csv(out / "frontier.csv")
    assert list(frontier.columns) == [
        "period",
        "plan_cumulative",
        "bound_cumulative",
        "whitehall_cumulative",
    ]
    assert len(frontier) == 6
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert names == {"frontier.csv", "frontier.svg", "summary.json", "plan", "instance"}
    code, text = run("check", out / "instance", out / "plan")
    assert code == 0, text
    # a second run replaces its own output
    code, text = run("target", TINY, "--out", out, "--target", "1000", "--workers", "1", "--quiet")
    assert code == 0 and "not reachable within the horizon" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "unreachable" and summary["earliest_period"] is None
    assert summary["earliest_period_range"] == [7, None]
    assert summary["proof"]["plan_key"] == 6  # the best plan by the horizon
    assert pd.read_csv(out / "plan" / "timeline.csv")["cumulative_savings"].iloc[-1] == 180


def test_capacity_question(tmp_path: Path) -> None:
    out = tmp_path / "w"
    code, text = run(
        "target", TINY, "--out", out, "--deadline", "4", "--vary", "max_parallel_formations",
        "--gap", "0", "--workers", "1", "--quiet",
    )  # fmt: skip
    assert code == 0, text
    assert "At least 2 formations at once" in text
    assert json.loads((out / "summary.json").read_text())["max_parallel_formations"] == 2
    assert (out / "capacity.csv").is_file() and (out / "plan" / "lots.csv").is_file()


def test_missing_target_is_exit_2_with_a_sentence(tmp_path: Path) -> None:
    inst = tmp_path / "inst"
    shutil.copytree(TINY, inst)
    (inst / "settings.csv").write_text("key,value\nhorizon,6\nmax_parallel_formations,1\n")
    out = tmp_path / "t"
    code, text = run("target", inst, "--out", out, "--workers", "1")
    assert code == 2
    assert "sets no savings_target" in text and "--target AMOUNT" in text
    assert not out.exists()
    code, text = run("target", inst, "--out", out, "--workers", "1", "--target", "100")
    assert code == 0, text


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "t"
    code, text = run("target", TINY, "--out", out, "--deadline", "3")
    assert code == 2 and "go together" in text and not out.exists()
    code, text = run(
        "target", TINY, "--out", out, "--deadline", "9", "--vary", "max_parallel_formations"
    )
    assert code == 2 and "from 1 to the horizon 6" in text and not out.exists()
    code, text = run("target", TINY, "--out", out, "--target", "lots")
    assert code == 2 and not out.exists()
    code, text = run("target", tmp_path / "nowhere", "--out", out)
    assert code == 2 and not out.exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    code, text = run("target", TINY, "--out", foreign, "--workers", "1")
    assert code == 2 and "left untouched" in text
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_infeasible_instance_exit_3(tmp_path: Path, monkeypatch) -> None:
    """Where no plan keeps the rules (spec section 13), every truncated instance is
    infeasible too: exit 3 with only summary.json."""
    import consortia.analysis.target as target

    def infeasible(inst, options, start=None):
        return Result(inst, "infeasible", math.nan, math.nan, [])

    monkeypatch.setattr(target, "checked_solve", infeasible)
    monkeypatch.setattr(target, "empty_plan_feasible", lambda inst: False)
    out = tmp_path / "t"
    code, text = run("target", TINY, "--out", out, "--workers", "1", "--quiet")
    assert code == 3, text
    assert "No plan keeps every rule" in text
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["summary.json"]
    assert json.loads((out / "summary.json").read_text())["status"] == "infeasible"


def test_report_of_a_target_folder(tmp_path: Path) -> None:
    out = tmp_path / "t"
    code, text = run("target", TINY, "--out", out, "--gap", "0", "--workers", "1", "--quiet")
    assert code == 0, text
    page = tmp_path / "r.html"
    code, text = run("report", out, "--out", page)
    assert code == 0, text
    html = page.read_text()
    assert "earliest_target: when is the target reached?" in html
    assert "Whitehall figure" in html and "first reached in period 5" in html
    code, text = run("report", out / "plan", "--out", page)
    assert code == 0 and "when is the target reached?" in page.read_text()


def test_instance_without_a_feasible_plan_exit_3(tmp_path: Path) -> None:
    """instances/tiny/infeasible_locks: its locks contradict each other (spec §13)."""
    out = tmp_path / "t"
    code, text = run(
        "target", INSTANCES / "tiny" / "infeasible_locks", "--out", out, "--target", "1",
        "--workers", "1",
    )  # fmt: skip
    assert code == 3, text
    assert "none feasible (proven)" in text
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["summary.json"]
