"""Exported models solve to the same optimum in a solver reading the file, with no
help from the engine: the file is the whole problem, connectivity included."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, INSTANCES
from consortia.cli import main
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables, read_instance
from consortia.formulations.candidates import build_candidates
from consortia.formulations.compact.build import build_model
from consortia.formulations.compact.index import build_index
from consortia.formulations.export import export_model
from consortia.solvers.bruteforce import enumerate_optimum
from tiny_random import random_tiny_tables

DEMO_OPTIMUM = 189_343.67  # proven; the file without the flow family gave 410,679.90


def solve_file(path: Path) -> float:
    """The optimum plain HiGHS finds in a model file (the file maximises net savings)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # HiGHS keeps one thread scheduler per process, sized by its first run: the
    # engine's single thread, so later solves in this process are not refused
    h.setOptionValue("threads", 1)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize(
    "instance,optimum",
    [
        (FIXTURES / "pooling", 170.0),
        (INSTANCES / "tiny" / "incremental", 360.0),
        (INSTANCES / "tiny" / "parallel_limit", 20.0),
    ],
)
def test_exported_model_reaches_the_optimum(
    tmp_path: Path, fmt: str, instance: Path, optimum: float
) -> None:
    out = tmp_path / f"model.{fmt}"
    result = CliRunner().invoke(main, ["export", str(instance), str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary left
    assert solve_file(out) == pytest.approx(optimum)
    if fmt == "lp":
        text = out.read_text()
        assert "z(" in text and "volume_balance" in text  # readable names


def test_export_rejects_bad_input(pooling_copy: Path, tmp_path: Path) -> None:
    (pooling_copy / "tiers.csv").write_text("supplier_id,category_id,min_quantity,unit_price\n")
    result = CliRunner().invoke(
        main, ["export", str(pooling_copy), str(tmp_path / "m.lp"), "--format", "lp"]
    )
    assert result.exit_code == 2 and not (tmp_path / "m.lp").exists()


@pytest.mark.parametrize("fmt", ["lp", "mps"])
def test_exported_demo_is_exact(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"demo.{fmt}"
    result = CliRunner().invoke(
        main, ["export", str(INSTANCES / "demo"), str(out), "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    assert solve_file(out) == pytest.approx(DEMO_OPTIMUM, abs=0.01)


@pytest.mark.parametrize(
    "instance,optimum",
    [
        (INSTANCES / "tiny" / "connectivity", 40.0),
        (INSTANCES / "demo", DEMO_OPTIMUM),
        (FIXTURES / "timeline", 130.0),
    ],
    ids=["connectivity", "demo", "timeline"],
)
def test_export_reaches_the_optimum_where_the_graph_matters(
    tmp_path: Path, instance: Path, optimum: float
) -> None:
    """Instances whose collaboration graph changes the optimum: the file reaches
    the optimum of exhaustive enumeration, which the engine proves too."""
    inst = read_instance(instance)
    assert inst.neighbours is not None
    expected, _ = enumerate_optimum(inst)
    assert expected == pytest.approx(optimum, abs=0.01)
    found = solve_file(export_model(inst, tmp_path / "model.lp", "lp"))
    assert close(found, expected), (found, expected)


def _without_flow(inst: Instance, path: Path) -> float:
    """The optimum of the compact model with neither the flow nor the cut loop."""
    build_model(build_index(build_candidates(inst))).write(str(path))
    return solve_file(path)


def test_the_flow_cuts_off_an_island_the_neighbour_rows_let_through(tmp_path: Path) -> None:
    """Random seed 350: without the flow (and without the solver's cuts) a file
    overstates the optimum with a disconnected lot; the exported file does not."""
    inst = instance_from_tables(random_tiny_tables(350))
    expected, _ = enumerate_optimum(inst)
    assert _without_flow(inst, tmp_path / "bare.lp") > expected + 1.0
    assert close(solve_file(export_model(inst, tmp_path / "model.lp", "lp")), expected)


def test_exported_model_matches_brute_force_on_random_graphs(tmp_path: Path) -> None:
    mismatches, checked = [], 0
    for seed in range(500):
        tables = random_tiny_tables(seed)
        if "collaboration" not in tables:
            continue
        inst = instance_from_tables(tables)
        expected, _ = enumerate_optimum(inst)
        found = solve_file(export_model(inst, tmp_path / f"model{seed}.lp", "lp"))
        checked += 1
        if not close(found, expected):
            mismatches.append((seed, expected, found))
    assert checked >= 250 and not mismatches
