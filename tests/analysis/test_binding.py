"""Which rules and locks bind a plan (consortia report --binding, analysis/binding.py
and the report's section), on instances/tiny/lock_exclude with one lock added, by
enumeration (tests/exact.py).

lock_exclude: A, B and C each buy 10 food at 10 for one period; S1 charges 10, 9
from 20 and 8 from 30 units; S2 sells at 9.5. Row 2 excludes C from S1: the
optimum is {A, B} on S1 (20) and C on S2 (5) = 25; without row 2, {A, B, C} on S1
saves 60. Row 3 (added) excludes A from S2, where no optimal plan puts it: 25
either way.
"""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia import read_instance, write_result
from consortia.analysis.binding import binding_of
from consortia.cli import main
from consortia.outputs.html import Binding, write_report
from consortia.solvers.options import SolveOptions
from exact import exact_solve


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    folder = tmp_path / "lock_exclude"
    shutil.copytree(INSTANCES / "tiny" / "lock_exclude", folder)
    with open(folder / "locks.csv", "a", encoding="utf-8") as fh:
        fh.write("exclude,A,food,S2\n")
    return folder


@pytest.fixture(autouse=True)
def _exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("consortia.analysis.binding.checked_solve", exact_solve)


def test_which_bind(instance: Path) -> None:
    inst = read_instance(instance)
    plan = exact_solve(inst)
    assert plan.objective == pytest.approx(25)
    found = binding_of(inst, plan.outcomes, SolveOptions())
    assert {str(item): (b.verdict, round(b.gain, 9)) for item, b in found.items()} == {
        "lock row 2 (exclude C from food on S1)": ("binds", 35),
        "lock row 3 (exclude A from food on S2)": ("does not bind", 0),
    }


def test_verdicts() -> None:
    assert Binding(35, 35).verdict == "binds"
    assert Binding(0, 0).verdict == "does not bind"
    assert Binding(0, 12).verdict == "undecided"
    assert Binding(0, float("inf")).verdict == "undecided"


def test_report_section(instance: Path, tmp_path: Path) -> None:
    inst = read_instance(instance)
    plan = write_result(exact_solve(inst), tmp_path / "plan")
    out = write_report(
        plan, tmp_path / "r.html", instance, binding=partial(binding_of, options=SolveOptions())
    )
    page = out.read_text()
    assert "<h2>Rules and locks in force</h2>" in page
    assert (
        "<td>lock row 2 (exclude C from food on S1)</td><td>C is in no lot of food on S1</td>"
        "<td><b>binds</b>: a plan without it saves £35.00 more</td>"
    ) in page
    assert "<td>lock row 3 (exclude A from food on S2)</td>" in page
    assert "<td>does not bind</td>" in page
    assert "1 bind (a better plan exists without it), 1 do not" in page
    untested = write_report(plan, tmp_path / "u.html", instance).read_text()
    assert untested.count("not tested</span>") == 2
    assert "<h2>Rules and locks in force</h2>" not in _report_of(tmp_path, "regions")


def _report_of(tmp_path: Path, name: str) -> str:
    """The report of a tiny instance without locks or supplier and formation limits."""
    inst = read_instance(INSTANCES / "tiny" / name)
    plan = write_result(exact_solve(inst), tmp_path / name)
    return write_report(plan, tmp_path / f"{name}.html", INSTANCES / "tiny" / name).read_text()


def test_report_binding_command(instance: Path, tmp_path: Path) -> None:
    plan = write_result(exact_solve(read_instance(instance)), tmp_path / "plan")
    result = CliRunner().invoke(
        main,
        [
            "report",
            str(plan),
            "--out",
            str(tmp_path / "r.html"),
            "--instance",
            str(instance),
            "--binding",
            "--time-limit",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "binding 1/2: lock row 2 (exclude C from food on S1): binds" in result.output
    assert "binds</b>: a plan without it saves £35.00 more" in (tmp_path / "r.html").read_text()
