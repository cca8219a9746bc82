"""End to end through the engine's own solvers (no enumeration stand-in): explain,
report --binding and the conflict of infeasible instances, with the formulations
that take locks and supplier rules (spec sections 11-12) and prove infeasibility.
The same answers are checked by enumeration in tests/analysis/test_explain.py,
tests/analysis/test_binding.py and tests/solvers/test_conflict.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia.data.reader import instance_from_tables
from consortia.solvers.bruteforce import optimum_or_none
from consortia.solvers.conflict import conflict_items
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from consortia.solvers.variants import forced_categories, variant
from tiny_random import random_v3_tables

TINY = INSTANCES / "tiny"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main_command(), [str(a) for a in args])
    return result.exit_code, result.output


def main_command():  # noqa: ANN201 - the click group
    from consortia.cli import main

    return main


def solved(tmp_path: Path, instance: Path) -> Path:
    out = tmp_path / "plan"
    code, text = run("solve", instance, "--out", out, "--quiet", "--gap", "0")
    assert code == 0, text
    return out


def test_explain_join_on_a_supplier(tmp_path: Path) -> None:
    """tests/analysis/test_explain.py: A joined on S1 in regions costs exactly 20."""
    plan = solved(tmp_path, TINY / "regions")
    code, text = run(
        "explain",
        TINY / "regions",
        plan,
        "--org",
        "A",
        "--category",
        "fleet",
        "--supplier",
        "S1",
        "--quiet",
    )
    assert code == 0, text
    assert "Why is A not in a lot of fleet on S1?" in text
    assert "costs between 20.00 GBP and 20.00 GBP" in text


def test_explain_exclude(tmp_path: Path) -> None:
    plan = solved(tmp_path, TINY / "regions")
    code, text = run(
        "explain", TINY / "regions", plan, "--org", "A", "--category", "fleet", "--quiet"
    )
    assert code == 0, text
    assert "Why is A in a lot of fleet?" in text
    assert "Keeping A out of fleet costs between 20.00 GBP and 20.00 GBP" in text


def test_report_binding(tmp_path: Path) -> None:
    """tests/analysis/test_binding.py: row 2 binds (+35), row 3 does not."""
    instance = tmp_path / "lock_exclude"
    shutil.copytree(TINY / "lock_exclude", instance)
    with open(instance / "locks.csv", "a", encoding="utf-8") as fh:
        fh.write("exclude,A,food,S2\n")
    plan = solved(tmp_path, instance)
    assert json.loads((plan / "summary.json").read_text())["objective"] == pytest.approx(25)
    out = tmp_path / "r.html"
    code, text = run("report", plan, "--out", out, "--binding", "--time-limit", "20")
    assert code == 0, text
    page = out.read_text()
    assert "binds</b>: a plan without it saves £35.00 more" in page
    assert "<td>does not bind</td>" in page


@pytest.mark.parametrize("seed", [8, 24, 48, 51, 73, 129, 166, 167, 193])
def test_conflict_through_the_solvers_is_irreducible(seed: int) -> None:
    """Random infeasible instances (some need solves to find their conflict): the
    engine proves infeasibility, and every test of the conflict search is decided,
    so the conflict is irreducible (checked by brute force)."""
    inst = instance_from_tables(random_v3_tables(seed))
    assert optimum_or_none(inst) is None
    result = solve(inst, SolveOptions(time_limit=60))
    assert result.status == "infeasible"
    assert not any(line.startswith("not proven needed") for line in result.conflict)
    named = {line.split(":")[0] for line in result.conflict}
    kept = [i for i in conflict_items(inst) if str(i) in named]

    def keeps(items: list) -> bool:
        if not forced_categories(items):
            return True
        dropped = [i for i in conflict_items(inst) if i not in items]
        return optimum_or_none(variant(inst, dropped, forced_categories(items))) is not None

    assert kept and not keeps(kept)
    for item in kept:
        assert keeps([i for i in kept if i != item])


def test_explain_range_on_the_demo(tmp_path: Path) -> None:
    """Why is Kent Academies Trust not in the devices lot? Exit 0 and a proven range
    (the README shows only an explain that ends in a conflict until this passes)."""
    demo = tmp_path / "demo"
    shutil.copytree(INSTANCES / "demo", demo)
    plan = solved(tmp_path, demo)
    code, text = run("explain", demo, plan, "--org", "KAT", "--category", "ict", "--quiet")
    assert code == 0, text
    assert "Putting KAT in a lot of ict costs between" in text
