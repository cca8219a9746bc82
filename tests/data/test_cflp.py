"""CFLP import: the three formats, and the mapping's costs against enumeration."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from consortia import SolveOptions, read_instance, solve
from consortia.cli import main
from consortia.data.cflp import cflp_cost, parse_cflp

# 2 facilities (capacity, fixed) and 4 customers (demand, cost from each facility)
CAPS, FIXED = [60.0, 50.0], [100.0, 80.0]
DEMAND = [20.0, 30.0, 25.0, 15.0]
COST = [[40.0, 90.0, 70.0, 20.0], [60.0, 30.0, 50.0, 45.0]]  # COST[i][j]


def _orlib(path: Path, capacity_word: bool = False) -> None:
    lines = ["2 4"] + [
        ("capacity" if capacity_word else f"{c:g}.") + f" {f:g}."
        for c, f in zip(CAPS, FIXED, strict=True)
    ]
    for j, d in enumerate(DEMAND):
        lines.append(f"{d:g} " + " ".join(f"{COST[i][j]:.5f}" for i in range(2)))
    path.write_text("\n".join(lines) + "\n")


def _holmberg(path: Path) -> None:
    text = "2 4\n" + "\n".join(f"{c:g} {f:g}" for c, f in zip(CAPS, FIXED, strict=True))
    text += "\n" + " ".join(f"{d:g}." for d in DEMAND) + "\n"
    text += "\n".join(" ".join(f"{c:g}" for c in row) for row in COST) + "\n"
    path.write_bytes(text.encode() + b"\x00" * 16)


def _delmaire(path: Path) -> None:
    text = "4 2\n" + "\n".join(" ".join(f"{COST[i][j]:.2f}" for i in range(2)) for j in range(4))
    text += "\n" + " ".join(f"{d:g}" for d in DEMAND)
    text += "\n" + " ".join(f"{f:g}" for f in FIXED) + "\n" + " ".join(f"{c:g}" for c in CAPS)
    path.write_bytes(text.encode() + b"\n\x1a")


def _enumerate() -> float:
    """Single-source optimum by trying every assignment."""
    best = float("inf")
    for assign in itertools.product(range(2), repeat=4):
        load = [sum(DEMAND[j] for j in range(4) if assign[j] == i) for i in range(2)]
        if any(load[i] > CAPS[i] for i in range(2)):
            continue
        cost = sum(FIXED[i] for i in set(assign)) + sum(COST[assign[j]][j] for j in range(4))
        best = min(best, cost)
    return best


@pytest.mark.parametrize(
    "fmt,writer", [("orlib", _orlib), ("holmberg", _holmberg), ("delmaire", _delmaire)]
)
def test_formats_parse_to_the_same_data(tmp_path: Path, fmt: str, writer) -> None:
    path = tmp_path / "inst"
    writer(path)
    data = parse_cflp(path, fmt)
    assert data.capacity == CAPS and data.fixed == FIXED and data.demand == DEMAND
    assert data.cost == COST


def test_open_capacity_needs_the_option(tmp_path: Path) -> None:
    path = tmp_path / "capa"
    _orlib(path, capacity_word=True)
    runner = CliRunner()
    refused = runner.invoke(
        main, ["import", "cflp", str(path), str(tmp_path / "o"), "--format", "orlib"]
    )
    assert refused.exit_code == 2 and "--capacity" in refused.output
    done = runner.invoke(
        main,
        ["import", "cflp", str(path), str(tmp_path / "o"), "--format", "orlib", "--capacity", "70"],
    )
    assert done.exit_code == 0, done.output
    inst = read_instance(tmp_path / "o")
    assert {o.capacity for o in inst.offer.values()} == {70.0}


def test_mapping_reproduces_the_single_source_optimum(tmp_path: Path) -> None:
    path = tmp_path / "inst"
    _orlib(path)
    result = CliRunner().invoke(
        main, ["import", "cflp", str(path), str(tmp_path / "i"), "--format", "orlib"]
    )
    assert result.exit_code == 0
    solved = solve(read_instance(tmp_path / "i"), SolveOptions(gap=1e-9, formulation="compact"))
    assert solved.status == "optimal"
    assert cflp_cost(tmp_path / "i", solved.objective) == pytest.approx(_enumerate(), rel=1e-6)
    served = {org for o in solved.outcomes for org in o.lot.members}
    assert served == {"C1", "C2", "C3", "C4"}


def test_corrupt_file_is_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "bad"
    path.write_text("2 4\n5000 abc\n")
    result = CliRunner().invoke(
        main, ["import", "cflp", str(path), str(tmp_path / "o"), "--format", "orlib"]
    )
    assert result.exit_code == 2 and "not a number" in result.output


SHARED = ROOT.parent / "shared" / "data" / "cflp"


@pytest.mark.skipif(not SHARED.exists(), reason="shared CFLP data not present")
def test_real_files_import(tmp_path: Path) -> None:
    for fmt, name, m, n in (
        ("orlib", "orlib-cap/cap61.txt", 16, 50),
        ("holmberg", "holmberg/p1", 10, 50),
        ("delmaire", "delmaire/p1", 10, 20),
    ):
        data = parse_cflp(SHARED / name, fmt)
        assert (data.m, data.n) == (m, n)


def test_customers_no_facility_can_serve_are_named(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    # 2 facilities of capacity 10; customer 2 needs 20
    path.write_text("2 3\n10 5\n10 5\n4 1 2\n20 3 4\n5 1 1\n")
    result = CliRunner().invoke(
        main, ["import", "cflp", str(path), str(tmp_path / "o"), "--format", "orlib"]
    )
    assert result.exit_code == 0, result.output
    assert "1 customer(s) (C2) need more than any facility's capacity" in result.output
    meta = json.loads((tmp_path / "o" / "cflp.json").read_text())
    assert meta["unservable"] == ["C2"]
    solved = solve(read_instance(tmp_path / "o"), SolveOptions(gap=1e-9))
    served = {o for out in solved.outcomes for o in out.lot.members}
    assert served == {"C1", "C3"}
